//! Scores two names and prints the explanation: `cargo run -p sluice-screen --example pair -- A B`.
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (x, y) = (a.first().cloned().unwrap_or_default(), a.get(1).cloned().unwrap_or_default());
    for n in [&x, &y] {
        for f in sluice_screen::normalize::normalize(n) {
            println!("{n}: {:?}", f.tokens.iter().map(|t| (t.text.as_str(), t.han)).collect::<Vec<_>>());
        }
    }
    println!("{:?}", sluice_screen::score::score_names(&x, &y));
}
