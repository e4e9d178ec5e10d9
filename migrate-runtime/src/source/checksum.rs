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
    let body = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let mut hasher = Sha256::new();
    let mut rest = body;
    while let Some(at) = rest.windows(2).position(|w| w == b"\r\n") {
        hasher.update(&rest[..at]);
        hasher.update(b"\n");
        rest = &rest[at + 2..];
    }
    hasher.update(rest);
    hasher.finalize().into()
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
    fn only_a_leading_bom_and_crlf_pairs_are_normalised() {
        assert_eq!(checksum(b"a\r\nb"), checksum(b"a\nb"));
        assert_ne!(checksum(b"a\rb"), checksum(b"a\nb"));
        assert_ne!(checksum(b"a\xEF\xBB\xBF"), checksum(b"a"));
    }
}
