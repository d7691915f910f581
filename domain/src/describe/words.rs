//! Resources, nouns and lists in words: the pieces every description
//! is made of.

use crate::catalog::Catalog;

/// What a resource of this type holds as parts, a grant naming one as
/// `parent/part`: Keboola's buckets hold tables (`in.c-main/orders`,
/// [`crate::storage`]). `None`: its ids are whole.
pub fn part_noun(resource_type: &str) -> Option<&'static str> {
    (resource_type == "bucket").then_some("table")
}

/// A resource in words: "bucket in.c-main", and a part as itself in its
/// parent, "the table orders in bucket in.c-main".
pub(super) fn resource_words(catalog: &Catalog, resource_type: &str, id: &str) -> String {
    named(catalog, resource_type, &[id.to_string()]).concat()
}

/// Resources of one type in words, parts grouped by their parent:
/// "buckets a and b", "the tables customers and orders in bucket in.c-main".
/// `ids` are sorted, so the parts of one parent are neighbours.
pub(super) fn named(catalog: &Catalog, resource_type: &str, ids: &[String]) -> Vec<String> {
    let noun = resource_noun(catalog, resource_type);
    let part = part_noun(resource_type);
    let has_parts = part.is_some();
    let whole: Vec<String> = ids
        .iter()
        .filter(|id| !(has_parts && id.contains('/')))
        .cloned()
        .collect();
    let mut out = vec![];
    match whole.as_slice() {
        [] => {}
        [one] => out.push(format!("{noun} {one}")),
        many => out.push(format!("{} {}", plural(&noun), join_and(many))),
    }
    let mut parts: Vec<(&str, Vec<String>)> = vec![];
    let split = ids
        .iter()
        .filter(|_| has_parts)
        .filter_map(|id| id.split_once('/'));
    for (parent, name) in split {
        match parts.last_mut() {
            Some((p, names)) if *p == parent => names.push(name.into()),
            _ => parts.push((parent, vec![name.into()])),
        }
    }
    let part = part.unwrap_or_default();
    for (parent, names) in parts {
        let what = if names.len() == 1 {
            part.to_string()
        } else {
            plural(part)
        };
        out.push(format!(
            "the {what} {} in {noun} {parent}",
            join_and(&names)
        ));
    }
    out
}

pub(super) fn resource_noun(catalog: &Catalog, resource_type: &str) -> String {
    catalog
        .resource_type(resource_type)
        .map(|t| sentence_case(&t.title))
        .unwrap_or_else(|| resource_type.replace('_', " "))
}

/// A title as a noun inside a sentence: "Bucket" → "bucket", while
/// acronyms stay ("API service").
pub(super) fn sentence_case(title: &str) -> String {
    let first_word = title.split_whitespace().next().unwrap_or("");
    let acronym = first_word.chars().filter(|c| c.is_alphabetic()).count() > 1
        && first_word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
    if acronym {
        title.to_string()
    } else {
        lower_first(title)
    }
}

/// "a bucket", "an API service".
pub fn with_article(noun: &str) -> String {
    let vowel = noun
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// English plural of a resource noun ("bucket" → "buckets").
pub fn plural(noun: &str) -> String {
    if noun.ends_with('s') || noun.ends_with('x') || noun.ends_with("ch") {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

/// The "All <buckets>" label of a scope choice.
pub fn all_label(catalog: &Catalog, resource_type: &str) -> String {
    format!("All {}", plural(&resource_noun(catalog, resource_type)))
}

/// Noun for one resource type, e.g. "bucket".
pub fn noun(catalog: &Catalog, resource_type: &str) -> String {
    resource_noun(catalog, resource_type)
}

pub(super) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub(super) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
