//! Small helpers for sentences people read: articles and lists. A leaf module (it imports
//! nothing from the crate), so that any module's messages can use it without tying that module
//! to the ones whose values the `words` module describes.

use std::fmt;

/// "a" or "an" before a word, by its first letter.
pub fn article(word: &str) -> &'static str {
    match word.bytes().next() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    }
}

/// The word with its article: "an individual", "a fund".
pub fn with_article(item: impl fmt::Display) -> String {
    let w = item.to_string();
    format!("{} {w}", article(&w))
}

fn joined<T: fmt::Display>(items: &[T], last: &str, empty: &str) -> String {
    let words: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    match words.as_slice() {
        [] => empty.to_string(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

/// "a, b or c" (or "nothing").
pub fn or_list<T: fmt::Display>(items: &[T]) -> String {
    joined(items, "or", "nothing")
}

/// "a, b and c" (or "nobody").
pub fn and_list<T: fmt::Display>(items: &[T]) -> String {
    joined(items, "and", "nobody")
}
