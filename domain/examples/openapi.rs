//! Prints the OpenAPI document generated for a catalog file
//! (default `worker/catalog.json`): `scripts/openapi` writes it to
//! `worker/openapi.json`, which the worker serves.

use keyward_domain::catalog::Catalog;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "worker/catalog.json".into());
    let catalog = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| Catalog::from_json(&text).map_err(|e| e.0))
    {
        Ok(catalog) => catalog,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", keyward_domain::contract::render(&catalog));
    ExitCode::SUCCESS
}
