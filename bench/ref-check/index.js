// What a team would write instead of Keyward, as the yardstick for
// scripts/bench: hash the bearer token, look its record up in KV by that
// hash, check one grant. Records are JSON:
//   {"id": "...", "name": "...", "grants": ["tokens:read", ...],
//    "expires_at": "2030-01-01T00:00:00Z" | null, "revoked": false}
// No rate limit, no audit, no scopes beyond a string match.

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  let out = "";
  for (const byte of digest) out += HEX[byte];
  return out;
}

function problem(status, code, detail) {
  const headers = status === 401 ? { "www-authenticate": 'Bearer realm="api"' } : {};
  return Response.json({ status, code, detail }, { status, headers });
}

// The permission each method needs on this API.
function needed(method) {
  return method === "GET" || method === "HEAD" ? "tokens:read" : "tokens:write";
}

export default {
  async fetch(request, env) {
    const header = request.headers.get("authorization") || "";
    const match = /^Bearer ([A-Za-z0-9_.~+\/-]{16,256})$/.exec(header);
    if (!match) return problem(401, "missing_token", "send Authorization: Bearer <token>");

    let record;
    try {
      record = await env.TOKENS.get(await sha256Hex(match[1]), "json");
    } catch {
      return problem(503, "unavailable", "the token store did not answer");
    }
    if (!record || record.revoked === true) {
      return problem(401, "invalid_token", "unknown or revoked token");
    }
    if (record.expires_at && !(Date.parse(record.expires_at) > Date.now())) {
      return problem(401, "expired_token", "the token has expired");
    }

    const permission = needed(request.method);
    if (!Array.isArray(record.grants) || !record.grants.includes(permission)) {
      return problem(403, "forbidden", `the token lacks ${permission}`);
    }
    return Response.json({ id: record.id, name: record.name, grants: record.grants });
  },
};
