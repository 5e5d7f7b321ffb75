/* sluice-hash.h — the stable 128-bit content hash of values and entity bodies.
 *
 * The hash is XXH3-128 (xxHash 0.8, canonical big-endian byte order) over a canonical binary form: every value carries a type tag (so that "1", 1 and
 * 1.0 differ), dict keys are sorted by their bytes (so key order does not matter), numbers are
 * written little-endian (so every machine computes the same hash), decimals are normalized (1.50
 * and 1.5 hash alike), and -0.0 is written as 0.0.  The form is fixed: changing it would make every
 * stored entity look changed, so tests/fixtures/hashes.jsonl pins it.
 *
 * An entity body is hashed without its reserved root keys (digest §1.2): every key that starts with
 * "_" is left out except `_id`, and `_deleted` counts only as "deleted or not", so that an entity
 * sent again with `_deleted: false` hashes like the same entity without `_deleted`.
 *
 * Host side: the store and the test harness use these; plugins normally call
 * sluice_entity_get_hash ().
 */
#pragma once

#include "sluice-value.h"

SLUICE_BEGIN_DECLS

#define SLUICE_HASH_SIZE 16

SLUICE_SDK_API void sluice_hash_value (const SluiceValue *value, uint8_t ret_hash[SLUICE_HASH_SIZE]);
/* @body: a DICT. */
SLUICE_SDK_API void sluice_hash_entity_body (const SluiceValue *body,
                                             uint8_t ret_hash[SLUICE_HASH_SIZE]);
/* Writes 32 lowercase hexadecimal characters and a NUL. */
SLUICE_SDK_API void sluice_hash_to_hex (const uint8_t hash[SLUICE_HASH_SIZE], char ret_hex[33]);

SLUICE_END_DECLS
