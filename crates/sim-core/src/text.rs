//! Small pieces of English shared by every front end's messages.

/// "1 service", "2 services": `word` is the singular, and the plural adds an
/// `s` (every noun hasim counts takes one).
pub fn plural(n: impl Into<u64>, word: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plural_forms() {
        assert_eq!(super::plural(1u32, "member"), "1 member");
        assert_eq!(super::plural(0u32, "warning"), "0 warnings");
        assert_eq!(super::plural(3u32, "service"), "3 services");
    }
}
