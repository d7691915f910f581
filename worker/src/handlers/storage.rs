//! The built-in protected service: buckets and objects in KV.

use crate::call::Call;
use crate::http::{self, ApiError, ApiResult, OBJECT_LIMIT};
use crate::registry::Command;
use crate::store::{self, ObjectMeta};
use keyward_domain::api::{Bucket, BucketList, CreateBucket, ObjectInfo, ObjectList};
use keyward_domain::shapes::{Description, ResourceId};
use keyward_domain::storage::{self, Readable};
use keyward_domain::token_input::collect;
use keyward_domain::{validate, FieldError, Grant, Resource};
use time::OffsetDateTime;
use worker::kv::KvStore;
use worker::{Request, Response};

fn kv(call: &Call<'_>) -> ApiResult<KvStore> {
    Ok(call.env.kv(store::KV_BINDING)?)
}

async fn list_prefix(kv: &KvStore, prefix: &str) -> ApiResult<Vec<worker::kv::Key>> {
    let mut keys = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let mut op = kv.list().prefix(prefix.to_string());
        if let Some(c) = cursor.take() {
            op = op.cursor(c);
        }
        let page = op.execute().await?;
        keys.extend(page.keys);
        match page.cursor {
            Some(c) if !page.list_complete && !c.is_empty() => cursor = Some(c),
            _ => break,
        }
    }
    Ok(keys)
}

/// Existence check that also distinguishes "no such bucket" for callers
/// allowed to know.
async fn require_bucket(kv: &KvStore, project: &str, bucket: &str) -> ApiResult<()> {
    if kv
        .get(&store::bucket_key(project, bucket))
        .text()
        .await?
        .is_some()
    {
        Ok(())
    } else {
        Err(ApiError::not_found("bucket"))
    }
}

/// The most buckets one answer gives when asked for a `limit`.
pub const BUCKET_LIMIT_MAX: usize = 1000;

/// `GET /buckets?q=&limit=`: ids containing `q` (case-insensitive), at
/// most `limit` of them, first by id. Other parameters are ignored, as
/// they always were.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BucketQuery {
    pub q: Option<String>,
    pub limit: Option<usize>,
}

impl BucketQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<BucketQuery, Vec<FieldError>> {
        let mut out = BucketQuery::default();
        for (k, v) in pairs {
            match k.as_str() {
                "q" => out.q = (!v.trim().is_empty()).then(|| v.trim().to_lowercase()),
                "limit" => match v.parse::<usize>() {
                    Ok(n) if (1..=BUCKET_LIMIT_MAX).contains(&n) => out.limit = Some(n),
                    _ => {
                        return Err(vec![FieldError::new(
                            "limit",
                            format!("a whole number from 1 to {BUCKET_LIMIT_MAX}"),
                        )])
                    }
                },
                _ => {}
            }
        }
        Ok(out)
    }

    /// Whether `id` matches the search.
    pub fn matches(&self, id: &str) -> bool {
        self.q
            .as_deref()
            .is_none_or(|q| id.to_lowercase().contains(q))
    }
}

/// Buckets the token cannot read are invisible, not forbidden.
pub async fn list_buckets(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let query = BucketQuery::parse(&http::query_pairs(req)?).map_err(ApiError::invalid)?;
    let project = call.project()?;
    let principal = call.principal()?;
    let keys = list_prefix(&kv(call)?, &store::bucket_prefix(&project)).await?;
    let mut items: Vec<Bucket> = keys
        .into_iter()
        .filter_map(|k| {
            k.metadata
                .and_then(|m| serde_json::from_value::<Bucket>(m).ok())
        })
        .filter(|b| query.matches(&b.id))
        .filter(|b| storage::readable(&principal, &b.id) != Readable::Nothing)
        .collect();
    items.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(limit) = query.limit {
        items.truncate(limit);
    }
    http::json(200, &BucketList { items })
}

pub async fn create_bucket(req: &mut Request, call: &mut Call<'_>) -> ApiResult<Response> {
    let caller = call.require("storage", "create_bucket", None)?;
    let body: CreateBucket = http::json_body(req).await?;
    let mut errors = vec![];
    let id = collect(&mut errors, ResourceId::parse("id", &body.id));
    let description = collect(
        &mut errors,
        Description::parse("description", body.description.as_deref().unwrap_or("")),
    );
    let (Some(id), Some(description)) = (id, description) else {
        return Err(ApiError::invalid(errors));
    };
    let bucket: Bucket = call
        .registry()?
        .call(&Command::CreateBucket {
            actor: caller.actor(),
            project: Some(call.project()?),
            id: id.into(),
            description: description.into(),
        })
        .await?;
    http::json(201, &bucket)
}

fn check_ids(bucket: &str, key: Option<&str>) -> ApiResult<()> {
    let mut errors: Vec<FieldError> = vec![];
    if let Err(e) = ResourceId::parse("bucket", bucket) {
        errors.push(e);
    }
    if let Some(k) = key {
        if let Err(e) = validate::object_key("key", k) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

fn ts(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Read on the bucket lists every object; read on some of its tables
/// (Keboola's shared tables) lists those tables' objects only.
pub async fn list_objects(bucket: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    let tables = match call.require("storage", "read", Some(bucket)) {
        Ok(_) => None,
        Err(refused) => match storage::readable(&call.principal()?, bucket) {
            Readable::Tables(tables) => {
                call.used.borrow_mut().extend(
                    tables
                        .iter()
                        .map(|r| Grant::new("storage", "read", Some(Resource::Id(r.clone())))),
                );
                Some(tables)
            }
            _ => return Err(refused),
        },
    };
    check_ids(bucket, None)?;
    let kv = kv(call)?;
    let project = call.project()?;
    require_bucket(&kv, &project, bucket).await?;
    let prefix = store::object_prefix(&project, bucket);
    let items = list_prefix(&kv, &prefix)
        .await?
        .into_iter()
        .filter_map(|k| {
            let meta: ObjectMeta = serde_json::from_value(k.metadata?).ok()?;
            let key = k.name.strip_prefix(&prefix)?;
            if let Some(tables) = &tables {
                if !tables.contains(&storage::object_resource(bucket, key)) {
                    return None;
                }
            }
            Some(ObjectInfo {
                key: key.to_string(),
                size: meta.size,
                content_type: meta.content_type,
                updated_at: ts(meta.updated_at),
            })
        })
        .collect();
    http::json(200, &ObjectList { items })
}

pub async fn put_object(
    bucket: &str,
    key: &str,
    req: &mut Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    call.require(
        "storage",
        "write",
        Some(&storage::object_resource(bucket, key)),
    )?;
    check_ids(bucket, Some(key))?;
    let kv = kv(call)?;
    let project = call.project()?;
    require_bucket(&kv, &project, bucket).await?;
    let body = http::read_body(req, OBJECT_LIMIT).await?;
    let content_type = req
        .headers()
        .get("content-type")?
        .filter(|c| !c.is_empty() && c.len() <= 200)
        .unwrap_or_else(|| "application/octet-stream".to_string());
    check_body_matches(&content_type, &body)?;
    let meta = ObjectMeta {
        content_type: content_type.clone(),
        size: body.len() as u64,
        updated_at: store::now().unix_timestamp(),
    };
    kv.put_bytes(&store::object_key(&project, bucket, key), &body)?
        .metadata(&meta)?
        .execute()
        .await?;
    http::json(
        200,
        &ObjectInfo {
            key: key.to_string(),
            size: meta.size,
            content_type,
            updated_at: ts(meta.updated_at),
        },
    )
}

/// Media types whose bodies are text by definition.
fn is_textual(essence: &str) -> bool {
    essence.starts_with("text/")
        || ["json", "xml", "yaml"].iter().any(|t| {
            essence == format!("application/{t}")
                || essence == format!("application/x-{t}")
                || essence.ends_with(&format!("+{t}"))
        })
}

/// A body declared as text or JSON must be that, or readers of the object
/// would be handed something its own content type says it is not.
fn check_body_matches(content_type: &str, body: &[u8]) -> ApiResult<()> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json" || essence.ends_with("+json");
    let problem = if is_json && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        Some("is not valid JSON, as its content type says")
    } else if is_textual(&essence) && std::str::from_utf8(body).is_err() {
        Some("is not UTF-8 text, as its content type says")
    } else {
        None
    };
    match problem {
        Some(m) => Err(ApiError::invalid(vec![FieldError::new("body", m)])),
        None => Ok(()),
    }
}

/// Types a browser shows without running anything, served inline when
/// `?inline=true` asks for it. Never HTML, SVG or XML: those run script on
/// the app's origin.
const INLINE_SAFE: &[&str] = &[
    "text/plain",
    "text/csv",
    "application/json",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
];

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `?inline=true|false`; anything else is refused.
fn wants_inline(req: &Request) -> ApiResult<bool> {
    let mut inline = false;
    for (k, v) in http::query_pairs(req)? {
        if k == "inline" {
            inline = match v.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ApiError::invalid(vec![FieldError::new(
                        "inline",
                        "must be true or false",
                    )]))
                }
            };
        }
    }
    Ok(inline)
}

/// A download name made of the key's last segment, in characters no
/// header parser can misread.
fn download_name(key: &str) -> String {
    let last = key.rsplit('/').next().unwrap_or(key);
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.trim_matches('.').is_empty() {
        "object".to_string()
    } else {
        name
    }
}

/// Objects are the uploader's bytes: by default a download, never a page
/// of the app's origin, and sandboxed should a browser render it anyway.
pub async fn get_object(
    bucket: &str,
    key: &str,
    req: &Request,
    call: &mut Call<'_>,
) -> ApiResult<Response> {
    call.require(
        "storage",
        "read",
        Some(&storage::object_resource(bucket, key)),
    )?;
    check_ids(bucket, Some(key))?;
    let inline = wants_inline(req)?;
    let kv = kv(call)?;
    let (value, meta) = kv
        .get(&store::object_key(&call.project()?, bucket, key))
        .bytes_with_metadata::<ObjectMeta>()
        .await?;
    let Some(bytes) = value else {
        return Err(ApiError::not_found("object"));
    };
    let content_type = meta
        .map(|m| m.content_type)
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let kind = essence(&content_type);
    let (served_type, disposition) = if inline {
        if !INLINE_SAFE.contains(&kind.as_str()) {
            return Err(ApiError::invalid(vec![FieldError::new(
                "inline",
                format!(
                    "objects of type '{kind}' are served only as downloads; inline works for {}",
                    INLINE_SAFE.join(", ")
                ),
            )]));
        }
        // Text was checked to be UTF-8 when it was stored.
        let served = if kind.starts_with("text/") {
            format!("{kind}; charset=utf-8")
        } else {
            kind
        };
        (served, "inline".to_string())
    } else {
        (
            content_type,
            format!("attachment; filename=\"{}\"", download_name(key)),
        )
    };
    let mut resp = http::raw(200, &served_type, bytes)?;
    let h = resp.headers_mut();
    let _ = h.set("content-disposition", &disposition);
    let _ = h.set(
        "content-security-policy",
        "default-src 'none'; sandbox; frame-ancestors 'none'",
    );
    Ok(resp)
}

pub async fn delete_object(bucket: &str, key: &str, call: &mut Call<'_>) -> ApiResult<Response> {
    call.require(
        "storage",
        "write",
        Some(&storage::object_resource(bucket, key)),
    )?;
    check_ids(bucket, Some(key))?;
    let kv = kv(call)?;
    let name = store::object_key(&call.project()?, bucket, key);
    if kv.get(&name).bytes().await?.is_none() {
        return Err(ApiError::not_found("object"));
    }
    kv.delete(&name).await?;
    http::no_content()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_bucket_query_searches_ids_case_insensitively_and_limits() {
        let q = BucketQuery::parse(&pairs(&[("q", " Sales "), ("limit", "5")])).unwrap();
        assert_eq!(q.limit, Some(5));
        assert!(q.matches("in.c-sales-eu") && q.matches("SALES"));
        assert!(!q.matches("in.c-main"));
        let all = BucketQuery::parse(&pairs(&[("q", ""), ("other", "x")])).unwrap();
        assert_eq!(all, BucketQuery::default());
        assert!(all.matches("anything"));
        for bad in ["0", "-1", "x", "1001"] {
            let e = BucketQuery::parse(&pairs(&[("limit", bad)])).unwrap_err();
            assert_eq!(e[0].field, "limit", "{bad}");
        }
    }
}
