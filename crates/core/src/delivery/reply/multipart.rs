//! `multipart/related` bodies (RFC 2046 §5.1, RFC 2387), as WADO-RS returns instances: split
//! without copying, each part's bytes borrowed from the body.

use std::fmt;

use memchr::memmem;

use super::ReplyError;

/// The longest boundary RFC 2046 §5.1.1 allows.
pub const MAX_BOUNDARY_LEN: usize = 70;

/// One part of a multipart/related body, borrowed from it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    /// The part's Content-Type header value (trimmed), if it has one.
    pub content_type: Option<&'a str>,
    /// The part's content, after its headers and the blank line ending them, up to (not
    /// including) the line break before the next delimiter.
    pub body: &'a [u8],
}

/// Shows the content type and the body's length, never its bytes (they may be patient data).
impl fmt::Debug for Part<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Part")
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Splits a multipart/related body (RFC 2046 / RFC 2387) using the boundary from `content_type`
/// (e.g. `multipart/related; type="application/octet-stream"; boundary=abc`; the boundary may be
/// quoted, parameter names are case-insensitive, a quoted `;` does not end a parameter).
///
/// A delimiter is `--boundary` at the start of the body or of a line, followed by optional
/// spaces or tabs and a line break (CRLF, or a bare LF); the line break before it belongs to it,
/// not to the part before. The close delimiter is `--boundary--`, after which anything (the
/// epilogue) is ignored, as is the preamble before the first delimiter. `--boundary` anywhere else
/// (mid-line, or followed by other text) is part content. Each part's headers end at its first
/// empty line; `Content-Type` is found case-insensitively (folded continuation lines are ignored);
/// a part with no empty line is all headers and an empty body.
///
/// A part's last byte is ambiguous only when delimiters use bare LF and the content itself ends
/// with CR: that CR is taken as part of the line break.
///
/// Refused: a Content-Type that is not `multipart/related` or cannot be read
/// ([`ReplyError::NotMultipart`]); a boundary missing, empty, longer than [`MAX_BOUNDARY_LEN`] or
/// not printable ASCII ([`ReplyError::BadBoundary`]); a body with no delimiter, or whose first
/// delimiter is the close one ([`ReplyError::NoParts`]); no closing delimiter
/// ([`ReplyError::Unterminated`]); a header line without a colon or a Content-Type that is not
/// UTF-8 ([`ReplyError::BadPartHeaders`]).
pub fn parse_multipart<'a>(
    content_type: &'a str,
    body: &'a [u8],
) -> Result<Vec<Part<'a>>, ReplyError> {
    let boundary = boundary(content_type)?;
    let mut dash_boundary = Vec::with_capacity(boundary.len() + 2);
    dash_boundary.extend_from_slice(b"--");
    dash_boundary.extend_from_slice(boundary.as_bytes());
    let finder = memmem::Finder::new(&dash_boundary);

    let mut content_start = match next_delimiter(&finder, body, 0) {
        None | Some((_, Delimiter::Close)) => return Err(ReplyError::NoParts),
        Some((_, Delimiter::Open { content })) => content,
    };
    let mut parts = Vec::new();
    loop {
        let (at, delimiter) =
            next_delimiter(&finder, body, content_start).ok_or(ReplyError::Unterminated)?;
        parts.push(part(
            &body[content_start..content_end(body, content_start, at)],
        )?);
        match delimiter {
            Delimiter::Close => return Ok(parts),
            Delimiter::Open { content } => content_start = content,
        }
    }
}

/// A delimiter line, and where the content after it starts.
#[derive(Clone, Copy)]
enum Delimiter {
    /// `--boundary` then a line break; the next part's content starts at `content`.
    Open { content: usize },
    /// `--boundary--`.
    Close,
}

/// The first delimiter at or after `from` that starts the body, starts a line, or starts right
/// at `from` (whose line break was the previous delimiter's). Returns its position and kind.
fn next_delimiter(
    finder: &memmem::Finder<'_>,
    body: &[u8],
    from: usize,
) -> Option<(usize, Delimiter)> {
    let haystack = body.get(from..)?;
    for offset in finder.find_iter(haystack) {
        let at = from + offset;
        let line_start = at == from || body.get(at.wrapping_sub(1)) == Some(&b'\n');
        if !line_start {
            continue;
        }
        let after = at + finder.needle().len();
        let rest = &body[after..];
        if rest.starts_with(b"--") {
            return Some((at, Delimiter::Close));
        }
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let rest = &rest[padding..];
        let line_break = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") {
            1
        } else {
            continue;
        };
        return Some((
            at,
            Delimiter::Open {
                content: after + padding + line_break,
            },
        ));
    }
    None
}

/// Where a part's content ends: before the line break that precedes the delimiter at `at`
/// (none when the delimiter is right at the content's start).
fn content_end(body: &[u8], start: usize, at: usize) -> usize {
    if at == start {
        return at;
    }
    // at > start and body[at - 1] == b'\n' (next_delimiter checked it).
    let lf = at - 1;
    if lf > start && body[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    }
}

/// Reads one part's headers and finds its body.
fn part(content: &[u8]) -> Result<Part<'_>, ReplyError> {
    let mut content_type = None;
    let mut pos = 0;
    while pos < content.len() {
        let line_end = memchr::memchr(b'\n', &content[pos..]).map(|i| pos + i);
        let next = line_end.map_or(content.len(), |i| i + 1);
        let line = &content[pos..line_end.unwrap_or(content.len())];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        pos = next;
        if line.is_empty() {
            // The blank line ending the headers: the rest is the body.
            return Ok(Part {
                content_type,
                body: &content[pos..],
            });
        }
        if line[0] == b' ' || line[0] == b'\t' {
            // A folded continuation of the previous header.
            continue;
        }
        let colon = memchr::memchr(b':', line).ok_or(ReplyError::BadPartHeaders)?;
        if content_type.is_none() && trim(&line[..colon]).eq_ignore_ascii_case(b"content-type") {
            let value = trim(&line[colon + 1..]);
            let value = std::str::from_utf8(value).map_err(|_| ReplyError::BadPartHeaders)?;
            content_type = (!value.is_empty()).then_some(value);
        }
    }
    Ok(Part {
        content_type,
        body: &content[content.len()..],
    })
}

/// `b` without leading and trailing spaces and tabs.
fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ' && c != b'\t');
    let Some(start) = start else { return &[] };
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .unwrap_or(start);
    &b[start..=end]
}

/// The boundary parameter of a `multipart/related` Content-Type, unquoted.
fn boundary(content_type: &str) -> Result<String, ReplyError> {
    let b = content_type.as_bytes();
    let media_end = memchr::memchr(b';', b).unwrap_or(b.len());
    if !trim(&b[..media_end]).eq_ignore_ascii_case(b"multipart/related") {
        return Err(ReplyError::NotMultipart);
    }
    let mut pos = media_end;
    let mut found: Option<Vec<u8>> = None;
    let skip_space = |pos: &mut usize| {
        while *pos < b.len() && matches!(b[*pos], b' ' | b'\t') {
            *pos += 1;
        }
    };
    loop {
        skip_space(&mut pos);
        if pos >= b.len() {
            break;
        }
        if b[pos] != b';' {
            return Err(ReplyError::NotMultipart);
        }
        pos += 1;
        skip_space(&mut pos);
        let name_start = pos;
        while pos < b.len() && !matches!(b[pos], b'=' | b';') {
            pos += 1;
        }
        let name = trim(&b[name_start..pos]);
        if pos >= b.len() || b[pos] == b';' {
            // A parameter without a value (or an empty one between two semicolons): ignored.
            continue;
        }
        pos += 1; // '='
        skip_space(&mut pos);
        let mut value = Vec::new();
        if b.get(pos) == Some(&b'"') {
            pos += 1;
            loop {
                match b.get(pos) {
                    None => return Err(ReplyError::NotMultipart),
                    Some(b'"') => {
                        pos += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let escaped = b.get(pos + 1).ok_or(ReplyError::NotMultipart)?;
                        value.push(*escaped);
                        pos += 2;
                    }
                    Some(&c) => {
                        value.push(c);
                        pos += 1;
                    }
                }
            }
        } else {
            let start = pos;
            while pos < b.len() && !matches!(b[pos], b';' | b' ' | b'\t') {
                pos += 1;
            }
            value.extend_from_slice(&b[start..pos]);
        }
        if found.is_none() && name.eq_ignore_ascii_case(b"boundary") {
            found = Some(value);
        }
    }
    let boundary = found.ok_or(ReplyError::BadBoundary)?;
    let printable = boundary.iter().all(|&c| (0x20..=0x7E).contains(&c));
    if boundary.is_empty()
        || boundary.len() > MAX_BOUNDARY_LEN
        || !printable
        || boundary.last() == Some(&b' ')
    {
        return Err(ReplyError::BadBoundary);
    }
    String::from_utf8(boundary).map_err(|_| ReplyError::BadBoundary)
}
