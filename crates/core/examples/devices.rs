//! Prints every adapter wgpu sees with the limits that matter to oddeven.
fn main() {
    for (summary, limits) in oddeven_core::list_adapters() {
        println!("{summary}");
        println!("  {limits:?}");
    }
}
