//! The third-party files the pages load (`assets/vendor`, see its README) go into the binary:
//! JavaScript and CSS gzipped here, once per build (1 MB instead of 4, and a quarter of the
//! download on a slow agency line), fonts as they are (WOFF2 is compressed already). The
//! list is generated from the folder, so a file dropped there is served.

use std::{
    env,
    error::Error,
    fmt::Write as _,
    fs,
    io::Write as _,
    path::{Path, PathBuf},
};

use flate2::{write::GzEncoder, Compression};

const VENDOR: &str = "assets/vendor";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={VENDOR}");
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let mut files = Vec::new();
    collect(&root.join(VENDOR), &mut files)?;
    files.sort();
    let mut table = String::from("&[\n");
    for file in files {
        let relative = file
            .strip_prefix(root.join(VENDOR))?
            .to_str()
            .ok_or("a vendor path that is not UTF-8")?
            .replace('\\', "/");
        let Some(content_type) = content_type(&relative) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", file.display());
        let (stored, gzipped) = if relative.ends_with(".woff2") {
            (file.clone(), false)
        } else {
            let mut gz = GzEncoder::new(Vec::new(), Compression::best());
            gz.write_all(&fs::read(&file)?)?;
            let stored = out.join(format!("{}.gz", relative.replace('/', "__")));
            fs::write(&stored, gz.finish()?)?;
            (stored, true)
        };
        writeln!(
            table,
            "    VendorFile {{ path: {relative:?}, content_type: {content_type:?}, gzipped: {gzipped}, bytes: include_bytes!({:?}) }},",
            stored.to_str().ok_or("an OUT_DIR that is not UTF-8")?
        )?;
    }
    table.push(']');
    fs::write(out.join("vendor_files.rs"), table)?;
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// The files served, by their ending; licences and the README stay in the repository.
fn content_type(path: &str) -> Option<&'static str> {
    if path.ends_with(".js") {
        Some("text/javascript; charset=utf-8")
    } else if path.ends_with(".css") {
        Some("text/css; charset=utf-8")
    } else if path.ends_with(".woff2") {
        Some("font/woff2")
    } else {
        None
    }
}
