//! `wasm-split <input.wasm> <out-dir> <main-js-name>`
//!
//! Reads the wasm as linked by cargo (it must be linked with
//! `-Clink-args=--emit-relocs`, and not yet run through wasm-bindgen), and
//! writes to <out-dir>: `main.wasm` (for wasm-bindgen, which must run with
//! `--keep-lld-exports --no-demangle`), one `split_*.wasm` per split point and
//! `chunk_*.wasm` for code shared by several, `__wasm_split.js` (the loader
//! the main wasm imports; it imports `initSync` from `./<main-js-name>` and
//! fetches the chunks relative to its own URL), and
//! `__wasm_split_manifest.json` (split → files, for preloading).
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: wasm-split <input.wasm> <out-dir> <main-js-name>");
        std::process::exit(2);
    }
    let input = std::fs::read(&args[1]).expect("read the input wasm");
    let out = Path::new(&args[2]);
    let main_out = out.join("main.wasm");
    let main_module = format!("./{}", args[3]);
    let mut opts = wasm_split_cli_support::Options::new(&input);
    opts.output_dir = out;
    opts.main_out_path = &main_out;
    opts.main_module = &main_module;
    opts.link_name = "./__wasm_split.js";
    let split = match wasm_split_cli_support::transform(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wasm-split: {e:?}");
            std::process::exit(1);
        }
    };
    std::fs::write(
        out.join("__wasm_split_manifest.json"),
        serde_json::to_string_pretty(&split.prefetch_map).unwrap(),
    )
    .expect("write the manifest");
    for m in &split.split_modules {
        eprintln!("wasm-split: wrote {}", m.display());
    }
}
