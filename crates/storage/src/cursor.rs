//! Opaque pagination cursors: URL-safe base64 of `"<position>|<uuid>"`; anything else is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::StorageError;

/// Encodes a position (any text) and a row id into a cursor.
pub(crate) fn encode(position: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{position}|{id}"))
}

/// Decodes a cursor made by [`encode`] into its position and id.
pub(crate) fn decode(cursor: &str) -> Result<(String, Uuid), StorageError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| StorageError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| StorageError::InvalidCursor)?;
    let (position, id) = text.rsplit_once('|').ok_or(StorageError::InvalidCursor)?;
    let id = Uuid::parse_str(id).map_err(|_| StorageError::InvalidCursor)?;
    if position.contains('\0') {
        return Err(StorageError::InvalidCursor);
    }
    Ok((position.to_owned(), id))
}

/// Encodes a timestamp position (microseconds, PostgreSQL's precision) and a row id.
pub(crate) fn encode_time(at: DateTime<Utc>, id: Uuid) -> String {
    encode(&at.timestamp_micros().to_string(), id)
}

/// Decodes a cursor made by [`encode_time`].
pub(crate) fn decode_time(cursor: &str) -> Result<(DateTime<Utc>, Uuid), StorageError> {
    let (position, id) = decode(cursor)?;
    let micros: i64 = position.parse().map_err(|_| StorageError::InvalidCursor)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or(StorageError::InvalidCursor)?;
    Ok((at, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_with_separators_round_trip() {
        let id = Uuid::new_v4();
        let cursor = encode("Smith | Jones", id);
        assert_eq!(decode(&cursor).unwrap(), ("Smith | Jones".to_owned(), id));
        assert!(
            cursor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn a_position_with_a_nul_byte_is_not_a_cursor_this_store_issued() {
        let cursor = encode("Smith\0", Uuid::new_v4());
        assert!(matches!(decode(&cursor), Err(StorageError::InvalidCursor)));
    }

    #[test]
    fn timestamps_round_trip_to_the_microsecond() {
        let id = Uuid::new_v4();
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap();
        assert_eq!(decode_time(&encode_time(at, id)).unwrap(), (at, id));
    }

    #[test]
    fn foreign_cursors_are_refused() {
        let bad_id = URL_SAFE_NO_PAD.encode("x|not-a-uuid");
        let no_separator = URL_SAFE_NO_PAD.encode("no separator");
        for bad in ["", "not base64 !", &bad_id, &no_separator] {
            assert!(
                matches!(decode(bad), Err(StorageError::InvalidCursor)),
                "{bad}"
            );
        }
        let not_a_time = encode("yesterday", Uuid::new_v4());
        assert!(matches!(
            decode_time(&not_a_time),
            Err(StorageError::InvalidCursor)
        ));
    }
}
