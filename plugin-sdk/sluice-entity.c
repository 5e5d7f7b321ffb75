/* sluice-entity.c — entities: an immutable dict body with a string `_id`, the version metadata a
 * dataset assigns (offset, previous offset, timestamp), and the content hash, computed on first use.
 *
 * The hash is computed lazily because most entities (source output, transform intermediates) never
 * reach a dataset sink; a bit lock makes the lazy write safe when several threads ask at once.
 */
#include "sluice-entity.h"
#include "sluice-json.h"
#include "sluice-hash.h"
#include "sluice-value-private.h"

#include <string.h>

#define HASH_LOCK_BIT 0
#define HASH_VALID (1 << 1)

struct _SluiceEntity
{
  int ref_count;
  int hash_state; /* HASH_LOCK_BIT guards the first write of @hash; HASH_VALID says it is there */
  SluiceValue *body;
  const char *id; /* borrowed from the body */
  int64_t offset;
  int64_t previous;
  int64_t timestamp;
  uint8_t hash[SLUICE_ENTITY_HASH_SIZE];
};

/* The body's string `_id`, or NULL with an error. */
static SluiceValue *
check_body (SluiceValue *body, GError **error)
{
  SluiceValue *id;

  if (body == NULL || body->kind != SLUICE_VALUE_DICT)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "entity has type %s, expected a dict with a string \"_id\"",
                   body ? sluice_value_kind_get_name (body->kind) : "NULL pointer");
      return NULL;
    }
  id = sluice_value_dict_lookup (body, "_id");
  if (id == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "entity has no \"_id\": expected a string \"_id\"");
      return NULL;
    }
  if (id->kind != SLUICE_VALUE_STRING)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "entity \"_id\" has type %s, expected a string", sluice_value_kind_get_name (id->kind));
      return NULL;
    }
  return id;
}

/* Whether @id may name an entity of a dataset.  Ids are C strings from here on (the store keys
 * them by strlen (), lookups take them as text): a U+0000 would cut the id short, and ids that
 * differ after it would be one entity. */
static gboolean
check_id (const SluiceValue *id, GError **error)
{
  const char *nul;

  if (id->u.str.len == 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "entity \"_id\" is empty: expected 1 to %u bytes", SLUICE_ENTITY_MAX_ID_SIZE);
      return FALSE;
    }
  if (id->u.str.len > SLUICE_ENTITY_MAX_ID_SIZE)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "entity \"_id\" is %zu bytes long: expected 1 to %u bytes", id->u.str.len,
                   SLUICE_ENTITY_MAX_ID_SIZE);
      return FALSE;
    }
  nul = memchr (id->u.str.data, '\0', id->u.str.len);
  if (nul != NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "entity \"_id\" contains U+0000 at byte %zu: expected an _id without U+0000",
                   (size_t) (nul - id->u.str.data));
      return FALSE;
    }
  return TRUE;
}

static SluiceEntity *
entity_new (SluiceValue *body, SluiceValue *id)
{
  SluiceEntity *entity = g_new (SluiceEntity, 1);

  entity->ref_count = 1;
  entity->hash_state = 0;
  entity->body = sluice_value_ref (body);
  entity->id = id->u.str.data;
  entity->offset = SLUICE_ENTITY_NO_OFFSET;
  entity->previous = SLUICE_ENTITY_NO_OFFSET;
  entity->timestamp = 0;
  return entity;
}

SluiceEntity *
sluice_entity_new (SluiceValue *body, GError **error)
{
  SluiceValue *id = check_body (body, error);

  if (id == NULL || !check_id (id, error))
    return NULL;
  return entity_new (body, id);
}

SluiceEntity *
sluice_entity_new_stored (SluiceValue *body, int64_t offset, int64_t previous, int64_t timestamp,
                          const uint8_t *hash, GError **error)
{
  SluiceValue *id = check_body (body, error);
  SluiceEntity *entity;

  /* What a dataset holds is read back as it is, even a version stored before check_id (). */
  if (id == NULL)
    return NULL;
  entity = entity_new (body, id);
  entity->offset = offset;
  entity->previous = previous;
  entity->timestamp = timestamp;
  if (hash != NULL)
    {
      memcpy (entity->hash, hash, SLUICE_ENTITY_HASH_SIZE);
      entity->hash_state = HASH_VALID;
    }
  return entity;
}

SluiceEntity *
sluice_entity_ref (SluiceEntity *entity)
{
  g_return_val_if_fail (entity != NULL, NULL);
  g_atomic_int_inc (&entity->ref_count);
  return entity;
}

void
sluice_entity_unref (SluiceEntity *entity)
{
  if (entity == NULL || !g_atomic_int_dec_and_test (&entity->ref_count))
    return;
  sluice_value_unref (entity->body);
  g_free (entity);
}

SluiceValue *
sluice_entity_get_body (const SluiceEntity *entity)
{
  g_return_val_if_fail (entity != NULL, NULL);
  return entity->body;
}

const char *
sluice_entity_get_id (const SluiceEntity *entity)
{
  g_return_val_if_fail (entity != NULL, NULL);
  return entity->id;
}

gboolean
sluice_entity_is_deleted (const SluiceEntity *entity)
{
  SluiceValue *deleted;

  g_return_val_if_fail (entity != NULL, FALSE);
  deleted = sluice_value_dict_lookup (entity->body, "_deleted");
  return deleted != NULL && deleted->kind == SLUICE_VALUE_BOOLEAN && deleted->u.boolean;
}

void
sluice_entity_get_hash (const SluiceEntity *entity, uint8_t ret_hash[SLUICE_ENTITY_HASH_SIZE])
{
  SluiceEntity *e = (SluiceEntity *) entity;

  g_return_if_fail (entity != NULL);
  if (!(g_atomic_int_get (&e->hash_state) & HASH_VALID))
    {
      g_bit_lock (&e->hash_state, HASH_LOCK_BIT);
      if (!(e->hash_state & HASH_VALID))
        {
          sluice_hash_entity_body (e->body, e->hash);
          g_atomic_int_or (&e->hash_state, HASH_VALID);
        }
      g_bit_unlock (&e->hash_state, HASH_LOCK_BIT);
    }
  memcpy (ret_hash, e->hash, SLUICE_ENTITY_HASH_SIZE);
}

char *
sluice_entity_dup_hash_hex (const SluiceEntity *entity)
{
  uint8_t hash[SLUICE_ENTITY_HASH_SIZE];
  char *hex = g_malloc (33);

  sluice_entity_get_hash (entity, hash);
  sluice_hash_to_hex (hash, hex);
  return hex;
}

int64_t
sluice_entity_get_offset (const SluiceEntity *entity)
{
  g_return_val_if_fail (entity != NULL, SLUICE_ENTITY_NO_OFFSET);
  return entity->offset;
}

int64_t
sluice_entity_get_previous (const SluiceEntity *entity)
{
  g_return_val_if_fail (entity != NULL, SLUICE_ENTITY_NO_OFFSET);
  return entity->previous;
}

int64_t
sluice_entity_get_timestamp (const SluiceEntity *entity)
{
  g_return_val_if_fail (entity != NULL, 0);
  return entity->timestamp;
}

static gboolean
is_regenerated_key (const SluiceDictEntry *e)
{
  static const char *const keys[] = { "_updated", "_previous", "_ts", "_hash" };

  for (size_t i = 0; i < G_N_ELEMENTS (keys); i++)
    if (e->key_len == strlen (keys[i]) && memcmp (e->key, keys[i], e->key_len) == 0)
      return TRUE;
  return FALSE;
}

void
sluice_entity_write_json (GString *out, const SluiceEntity *entity)
{
  const SluiceValue *body;
  gboolean stored, first = TRUE;

  g_return_if_fail (out != NULL && entity != NULL);
  body = entity->body;
  stored = entity->offset >= 0;
  if (!stored)
    {
      sluice_json_write_value (out, body);
      return;
    }
  g_string_append_c (out, '{');
  for (size_t i = 0; i < body->u.dict.len; i++)
    {
      const SluiceDictEntry *e = &body->u.dict.entries[i];

      /* The dataset's own metadata replaces whatever the producer put there. */
      if (is_regenerated_key (e))
        continue;
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      sluice_json_write_string (out, e->key, e->key_len);
      g_string_append_c (out, ':');
      sluice_json_write_value (out, e->value);
    }
  {
    char hex[33];
    uint8_t hash[SLUICE_ENTITY_HASH_SIZE];

    sluice_entity_get_hash (entity, hash);
    sluice_hash_to_hex (hash, hex);
    g_string_append_printf (out, "%s\"_updated\":%" G_GINT64_FORMAT ",\"_previous\":", first ? "" : ",",
                            entity->offset);
    if (entity->previous >= 0)
      g_string_append_printf (out, "%" G_GINT64_FORMAT, entity->previous);
    else
      g_string_append (out, "null");
    g_string_append_printf (out, ",\"_ts\":%" G_GINT64_FORMAT ",\"_hash\":\"%s\"}",
                            entity->timestamp, hex);
  }
}

char *
sluice_entity_to_json (const SluiceEntity *entity)
{
  GString *out = g_string_sized_new (256);

  sluice_entity_write_json (out, entity);
  return g_string_free (out, FALSE);
}
