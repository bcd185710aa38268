//! Generates the aggregator.v1 client and server at build time.
//! protoc comes from the protoc-bin-vendored crate so a fresh machine needs no system package.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // Bodies are opaque bytes end to end: `bytes::Bytes` avoids a copy at each hop.
    config.bytes(["."]);
    tonic_prost_build::configure().compile_with_config(
        config,
        &["aggregator/v1/aggregator.proto"],
        &["."],
    )?;
    Ok(())
}
