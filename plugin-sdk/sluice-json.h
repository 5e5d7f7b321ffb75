/* sluice-json.h — the data-plane JSON codec: streaming parse of entity arrays, and JSON output.
 *
 * Data enters sluice as JSON (files, HTTP bodies) that may be far larger than memory.  A
 * SluiceJsonReader is fed bytes as they arrive and hands back each complete top-level value (each
 * element of a top-level array, or a sequence of top-level values as in JSON lines) as soon as it has
 * been parsed, so memory stays bounded by the largest single entity.  Transit-encoded strings become
 * typed values.  An object that names a key twice is an error.  Errors name the byte offset and
 * what was expected.
 *
 * Numbers: an integer is an INTEGER (beyond 64 bits, a DECIMAL kept exactly).  One with a fraction
 * or an exponent is a FLOAT, rounded as strtod () rounds, except that one too small for a double
 * (1e-400) stays an exact DECIMAL rather than become 0, and one too large (1e400) is an error.
 * With FLOAT_AS_DECIMAL it is a DECIMAL holding the text as sent, whatever its exponent (an
 * exponent beyond about a billion is an error).  With FLOAT_AS_INT, one whose exact value is a
 * whole number that fits 64 bits is that INTEGER (2.0, 1e3, 4.5e1; not 4503599627370496.5e0).
 */
#pragma once

#include "sluice-entity.h"

SLUICE_BEGIN_DECLS

typedef struct _SluiceJsonReader SluiceJsonReader;

/* The deepest nesting of arrays and objects the reader accepts, the enclosing array of a stream
 * included; deeper input is refused ("nesting deeper than 512 levels").  The host holds JSON text
 * for its other parsers to the same bound. */
#define SLUICE_JSON_MAX_DEPTH 512

/* Number handling for JSON numbers with a fraction or exponent (above). */
#define SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL (1u << 0) /* 1.5 becomes a DECIMAL, not a FLOAT */
#define SLUICE_JSON_READER_FLAG_FLOAT_AS_INT (1u << 1)     /* 2.0 and 2e0 become the INTEGER 2 */
/* The input is one value (a top-level array is still handed out element by element): anything
 * but whitespace after it is an error.  Without it, values may follow each other (JSON lines). */
#define SLUICE_JSON_READER_FLAG_ONE_VALUE (1u << 2)

SLUICE_SDK_API SluiceJsonReader *sluice_json_reader_new (uint32_t flags);
SLUICE_SDK_API void sluice_json_reader_free (SluiceJsonReader *reader);
/* Feeds @len bytes (any split of the input works, down to one byte at a time). FALSE with
 * SLUICE_ERROR_PARSE on invalid input, with a message like "byte 17: expected ',' or ']' after
 * array element, got 'x'" (offsets count from the first byte fed); the reader is then unusable. */
SLUICE_SDK_API gboolean sluice_json_reader_feed (SluiceJsonReader *reader, const void *data, size_t len,
                                                 GError **error);
/* Signals the end of input; fails on truncated input. */
SLUICE_SDK_API gboolean sluice_json_reader_finish (SluiceJsonReader *reader, GError **error);
/* The next complete value, or NULL when none is ready yet.  Owned by the caller.  Values wait in
 * the reader until popped: pop after each feed to keep memory bounded. */
SLUICE_SDK_API SluiceValue *sluice_json_reader_pop (SluiceJsonReader *reader);
/* Bytes consumed so far (for error messages and progress). */
SLUICE_SDK_API uint64_t sluice_json_reader_get_offset (const SluiceJsonReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceJsonReader, sluice_json_reader_free)

/* Appends the JSON form of @value (transit-encoded) to @out. */
SLUICE_SDK_API void sluice_json_write_value (GString *out, const SluiceValue *value);

SLUICE_END_DECLS
