//! The checksum of a migration file, computed by the macro at compile time and compared by
//! the runtime with the one recorded in the history table.

use sha2::{Digest, Sha256};

/// The checksum `embed_migrations!` computes for a migration file: SHA-256 of its content
/// with a leading byte order mark removed and every CRLF turned into LF, so that a checkout
/// with Windows line endings does not look like an edited migration.
///
/// ```
/// let unix = migrate_runtime::checksum(b"CREATE TABLE t (id INT);\n");
/// let windows = migrate_runtime::checksum(b"\xEF\xBB\xBFCREATE TABLE t (id INT);\r\n");
/// assert_eq!(unix, windows);
/// ```
pub fn checksum(content: &[u8]) -> [u8; 32] {
    let mut running = RunningChecksum::default();
    running.update(content);
    running.value()
}

/// [`checksum`] of content that arrives in pieces, with the value of what has arrived so far
/// at any moment: each piece and each value cost time in proportion to the piece alone, so a
/// file's statements can be checksummed as a growing prefix in linear time.
#[derive(Clone, Default)]
pub struct RunningChecksum {
    hasher: Sha256,
    /// Whether any byte arrived yet (a byte order mark counts only at the very start).
    started: bool,
    /// The last piece ended in `\r`, not hashed yet: a `\n` starting the next piece makes
    /// the pair one `\n`.
    carriage_return: bool,
}

impl RunningChecksum {
    /// Appends `piece` to the content.
    pub fn update(&mut self, piece: &[u8]) {
        let mut rest = piece;
        if !std::mem::replace(&mut self.started, true) {
            rest = rest.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rest);
        }
        if std::mem::take(&mut self.carriage_return) {
            if rest.first() == Some(&b'\n') {
                self.hasher.update(b"\n");
                rest = &rest[1..];
            } else {
                self.hasher.update(b"\r");
            }
        }
        while let Some(at) = rest.windows(2).position(|w| w == b"\r\n") {
            self.hasher.update(&rest[..at]);
            self.hasher.update(b"\n");
            rest = &rest[at + 2..];
        }
        if let Some(body) = rest.strip_suffix(b"\r") {
            self.carriage_return = true;
            rest = body;
        }
        self.hasher.update(rest);
    }

    /// The checksum of the content so far.
    pub fn value(&self) -> [u8; 32] {
        let mut hasher = self.hasher.clone();
        if self.carriage_return {
            hasher.update(b"\r");
        }
        hasher.finalize().into()
    }
}

/// Lower-case hex of a checksum, for messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Digests stored in users' history tables: they must never change. Computed with the
    /// code of c8ef3c2, before the macro and the runtime shared this function.
    #[test]
    fn checksums_are_stable() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"\xEF\xBB\xBF",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"\xEF\xBB\xBFSELECT 1;\n",
                "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd",
            ),
            (
                b"SELECT 1;\r\nSELECT 2;\r\n",
                "82efb67f3010c6eb7ead02e4f6d9550633dbc1407f99aa487468e7b2567aebbc",
            ),
            (
                b"SELECT 1;\rSELECT 2;\r",
                "7ba5c87864caebc33530986fe79e40361498588aff2e58e012065f7dcc32b754",
            ),
            (
                b"\r\r\n\n",
                "2a5222a0dd2400f31aae17bc0ad61e08446faa9e86bc9862ba8b0740cfa05283",
            ),
            (
                b"CREATE TABLE t (id INT);\n",
                "1f3fb0035a049af0ffa5671f5739ba073a99aaa6d8cc6a789599c9fd9292821d",
            ),
        ];
        for (content, expected) in cases {
            assert_eq!(hex(&checksum(content)), *expected, "{content:?}");
        }
    }

    #[test]
    fn a_running_checksum_equals_the_checksum_of_the_whole() {
        let pieces: &[&[u8]] = &[
            b"\xEF\xBB\xBFSELECT 1;\r",
            b"\n",
            b"\r",
            b"\r\nX\r",
            b"Y",
            b"",
            b"\xEF\xBB\xBF\r",
        ];
        let mut running = RunningChecksum::default();
        let mut whole = Vec::new();
        assert_eq!(running.value(), checksum(b""));
        for piece in pieces {
            running.update(piece);
            whole.extend_from_slice(piece);
            assert_eq!(running.value(), checksum(&whole), "{whole:?}");
        }
    }

    #[test]
    fn only_a_leading_bom_and_crlf_pairs_are_normalised() {
        assert_eq!(checksum(b"a\r\nb"), checksum(b"a\nb"));
        assert_ne!(checksum(b"a\rb"), checksum(b"a\nb"));
        assert_ne!(checksum(b"a\xEF\xBB\xBF"), checksum(b"a"));
    }
}
