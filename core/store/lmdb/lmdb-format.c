/* lmdb-format.c — how the LMDB backend lays out its records: keys, log values, the id index, the
 * dataset and breaker records, and pipe state (docs/store.md, "LMDB key layout").
 *
 * Five named databases hold every dataset, so the number of datasets is not bounded by maxdbs:
 *
 *   datasets  name                          -> dataset number (u32, big-endian; never reused)
 *   meta      dataset number                -> Meta (generation, counts, next offset, populated)
 *             0x00000000                    -> StoreHeader (format version, next dataset number)
 *             0x00000000 'D' number         -> ""  (a deleted dataset whose records await purging)
 *             number 'B'                    -> the dataset's circuit breaker (held or tripped),
 *                                              with the metadata as it was at the watermark
 *   log       number + offset (u64 BE)      -> LogHeader + id + body
 *   ids       number + id key               -> IdEntry (latest offset, its hash, its deleted flag)
 *   pipes     pipe id                       -> encoded SluicePipeState
 *
 * Big-endian numbers make LMDB's byte order the numeric order, so a cursor walks one dataset's log
 * in offset order.  An id key is the raw id up to 400 bytes, else its first 400 bytes plus its
 * SHA-256 (LMDB keys are at most 511 bytes); the two forms differ in length, so they never collide.
 */
#include "lmdb-private.h"

/* Log values and id keys. */

/* Fills @buf with the ids key of @id; returns the key length. */
size_t
sluice_lmdb_id_key (GByteArray *buf, uint32_t dsid, const char *id, size_t id_len)
{
  size_t part = id_len <= ID_KEY_RAW_MAX ? id_len : ID_KEY_HASHED_LEN;

  g_byte_array_set_size (buf, 4 + part);
  put_be32 (buf->data, dsid);
  if (id_len <= ID_KEY_RAW_MAX)
    {
      memcpy (buf->data + 4, id, id_len);
    }
  else
    {
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      gsize digest_len = 32;

      memcpy (buf->data + 4, id, ID_KEY_RAW_MAX);
      g_checksum_update (sum, (const guchar *)id, id_len);
      g_checksum_get_digest (sum, buf->data + 4 + ID_KEY_RAW_MAX, &digest_len);
    }
  return 4 + part;
}

gboolean
sluice_lmdb_decode_version (LmdbBackend *self, const char *dataset, const MDB_val *key,
                            const MDB_val *val, SluiceStoreVersion *ret, GError **error)
{
  const uint8_t *p = val->mv_data;
  uint32_t id_len;

  if (key->mv_size != 12 || val->mv_size < LOG_HEADER_SIZE)
    goto corrupt;
  memcpy (&id_len, p + 8 + 8 + 1 + SLUICE_STORE_HASH_SIZE, 4);
  if (id_len > val->mv_size - LOG_HEADER_SIZE)
    goto corrupt;
  ret->offset = (int64_t)get_be64 ((const uint8_t *)key->mv_data + 4);
  ret->ts = get_i64 (p);
  ret->previous = get_i64 (p + 8);
  ret->record.deleted = (p[16] & REC_DELETED) != 0;
  memcpy (ret->record.hash, p + 17, SLUICE_STORE_HASH_SIZE);
  ret->record.id = (const char *)p + LOG_HEADER_SIZE;
  ret->record.id_len = id_len;
  ret->record.body = p + LOG_HEADER_SIZE + id_len;
  ret->record.body_len = val->mv_size - LOG_HEADER_SIZE - id_len;
  return TRUE;

corrupt:
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
               "%s: dataset '%s': the log record at offset %" G_GUINT64_FORMAT
               " is malformed (%zu bytes)",
               self->description, dataset,
               key->mv_size == 12 ? get_be64 ((const uint8_t *)key->mv_data + 4) : 0, val->mv_size);
  return FALSE;
}

/* A pipe state record: [1][has since][u32 since length][since][u32 n][n u64 counters], then,
 * appended, [has sink position][u32 length][sink position].  A reader ignores what follows the
 * parts it knows, and reads missing parts as absent, so records of older and newer builds mix. */
static void
append_text (GByteArray *buf, const char *text)
{
  uint8_t present = text != NULL;
  uint32_t len = text != NULL ? strlen (text) : 0;

  g_byte_array_append (buf, &present, 1);
  g_byte_array_append (buf, (const guint8 *)&len, 4);
  if (len > 0)
    g_byte_array_append (buf, (const guint8 *)text, len);
}

GBytes *
sluice_lmdb_encode_pipe_state (const SluicePipeState *state)
{
  GByteArray *buf = g_byte_array_new ();
  uint8_t version = 1;
  uint32_t n = 7;
  uint64_t counters[7] = { state->runs,
                           state->entities_read,
                           state->entities_written,
                           state->entities_deleted,
                           (uint64_t)state->last_run_started,
                           (uint64_t)state->last_run_finished,
                           (uint64_t)state->full_run_started };

  g_byte_array_append (buf, &version, 1);
  append_text (buf, state->since);
  g_byte_array_append (buf, (const guint8 *)&n, 4);
  g_byte_array_append (buf, (const guint8 *)counters, sizeof (counters));
  append_text (buf, state->sink_position);
  return g_byte_array_free_to_bytes (buf);
}

/* Reads one part written by append_text at *@p; FALSE when it does not fit before @end. */
static gboolean
read_text (const uint8_t **p, const uint8_t *end, char **ret_text)
{
  uint32_t len;

  if (end - *p < 5)
    return FALSE;
  memcpy (&len, *p + 1, 4);
  if (len > (size_t)(end - *p - 5))
    return FALSE;
  *ret_text = (*p)[0] ? g_strndup ((const char *)*p + 5, len) : NULL;
  *p += 5 + len;
  return TRUE;
}

gboolean
sluice_lmdb_decode_pipe_state (const uint8_t *data, size_t len, SluicePipeState *ret)
{
  const uint8_t *p = data + 1, *end = data + len;
  uint32_t n;
  uint64_t counters[7] = { 0 };

  memset (ret, 0, sizeof (*ret));
  if (len < 10 || data[0] != 1 || !read_text (&p, end, &ret->since) || end - p < 4)
    goto malformed;
  memcpy (&n, p, 4);
  p += 4;
  if (n > (size_t)(end - p) / 8)
    goto malformed;
  /* Counters this build does not know yet are ignored; missing ones read as 0. */
  memcpy (counters, p, MIN (n, G_N_ELEMENTS (counters)) * 8);
  p += (size_t)n * 8;
  ret->runs = counters[0];
  ret->entities_read = counters[1];
  ret->entities_written = counters[2];
  ret->entities_deleted = counters[3];
  ret->last_run_started = (int64_t)counters[4];
  ret->last_run_finished = (int64_t)counters[5];
  ret->full_run_started = (int64_t)counters[6];
  if (p < end && !read_text (&p, end, &ret->sink_position))
    goto malformed;
  return TRUE;

malformed:
  sluice_pipe_state_clear (ret);
  return FALSE;
}

/* The dataset record. */

/* 0 and *ret_dsid set; MDB_NOTFOUND; or RC_ERROR with error set. */
int
sluice_lmdb_lookup_dataset (LmdbBackend *self, MDB_txn *txn, const char *dataset,
                            uint32_t *ret_dsid, Meta *ret_meta, GError **error)
{
  MDB_val key = { strlen (dataset), (void *)dataset }, val;
  uint8_t dkey[4];
  int rc;

  rc = mdb_get (txn, self->db_datasets, &key, &val);
  if (rc == MDB_NOTFOUND)
    return rc;
  if (rc != 0)
    return sluice_lmdb_set_rc_error (self, error, rc, "looking up dataset '%s'", dataset);
  if (val.mv_size != 4)
    goto corrupt;
  *ret_dsid = get_be32 (val.mv_data);
  if (ret_meta != NULL)
    {
      memcpy (dkey, val.mv_data, 4);
      key = (MDB_val){ 4, dkey };
      rc = mdb_get (txn, self->db_meta, &key, &val);
      if (rc == MDB_NOTFOUND || (rc == 0 && val.mv_size != sizeof (Meta)))
        goto corrupt;
      if (rc != 0)
        return sluice_lmdb_set_rc_error (self, error, rc, "reading dataset '%s'", dataset);
      memcpy (ret_meta, val.mv_data, sizeof (Meta));
    }
  return 0;

corrupt:
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
               "%s: dataset '%s': its metadata record is missing or malformed", self->description,
               dataset);
  return RC_ERROR;
}

SluiceDatasetInfo *
sluice_lmdb_info_from_meta (const char *dataset, const Meta *meta)
{
  SluiceDatasetInfo *info = g_new0 (SluiceDatasetInfo, 1);

  info->name = g_strdup (dataset);
  info->generation = g_strndup (meta->generation, sizeof (meta->generation));
  info->created = meta->created;
  info->next_offset = meta->next_offset;
  info->entity_count = meta->entity_count;
  info->id_count = meta->id_count;
  info->version_count = meta->version_count;
  info->populated = (meta->flags & META_POPULATED) != 0;
  return info;
}

int
sluice_lmdb_put_meta (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const Meta *meta,
                      const char *dataset, GError **error)
{
  uint8_t k[4];
  MDB_val key = { 4, k }, val = { sizeof (Meta), (void *)meta };
  int rc;

  put_be32 (k, dsid);
  rc = mdb_put (txn, self->db_meta, &key, &val, 0);
  if (rc == MDB_MAP_FULL)
    return rc;
  if (rc != 0)
    return sluice_lmdb_set_rc_error (self, error, rc, "writing dataset '%s'", dataset);
  return 0;
}

/* Circuit breakers.  The record lives next to the metadata, under the dataset number plus 'B',
 * and holds the state plus the metadata as it was at the watermark: the committed view of the
 * dataset's info, and what a rollback restores. */

#define BREAKER_FORMAT 1
#define NO_STRING UINT32_MAX
/* The flags byte after the strings. */
#define BREAKER_PUSH 0x01
#define BREAKER_PUSH_CREATED 0x02

void
sluice_lmdb_breaker_clear (Breaker *b)
{
  sluice_breaker_state_clear (&b->state);
}

static void
put_string (GByteArray *buf, const char *str)
{
  uint32_t len = str != NULL ? strlen (str) : NO_STRING;

  g_byte_array_append (buf, (const guint8 *)&len, 4);
  if (str != NULL)
    g_byte_array_append (buf, (const guint8 *)str, len);
}

static gboolean
get_string (const uint8_t **p, const uint8_t *end, char **ret)
{
  uint32_t len;

  if (end - *p < 4)
    return FALSE;
  memcpy (&len, *p, 4);
  *p += 4;
  if (len == NO_STRING)
    {
      *ret = NULL;
      return TRUE;
    }
  if ((size_t)(end - *p) < len)
    return FALSE;
  *ret = g_strndup ((const char *)*p, len);
  *p += len;
  return TRUE;
}

GBytes *
sluice_lmdb_encode_breaker (const SluiceBreakerState *state, const Meta *committed)
{
  GByteArray *buf = g_byte_array_new ();
  uint8_t head[2] = { BREAKER_FORMAT, state->tripped != FALSE };
  int64_t numbers[5] = { state->watermark, state->tripped_at, (int64_t)state->limit,
                         (int64_t)state->written, state->full_run_started_before };
  Meta zero = { 0 };
  uint8_t flags;

  g_byte_array_append (buf, head, 2);
  g_byte_array_append (buf, (const guint8 *)numbers, sizeof (numbers));
  g_byte_array_append (buf, (const guint8 *)(committed != NULL ? committed : &zero), sizeof (Meta));
  put_string (buf, state->pipe);
  put_string (buf, state->run_id);
  put_string (buf, state->message);
  put_string (buf, state->since_before);
  /* Appended (push holds): older builds stop reading before it. */
  flags = (state->push ? BREAKER_PUSH : 0) | (state->push_created ? BREAKER_PUSH_CREATED : 0);
  g_byte_array_append (buf, &flags, 1);
  return g_byte_array_free_to_bytes (buf);
}

gboolean
sluice_lmdb_decode_breaker (const uint8_t *p, size_t len, Breaker *ret)
{
  const uint8_t *end = p + len;
  int64_t numbers[5];

  memset (ret, 0, sizeof (*ret));
  if (len < 2 + sizeof (numbers) + sizeof (Meta) || p[0] != BREAKER_FORMAT)
    return FALSE;
  ret->state.tripped = p[1] != 0;
  memcpy (numbers, p + 2, sizeof (numbers));
  ret->state.watermark = numbers[0];
  ret->state.tripped_at = numbers[1];
  ret->state.limit = (uint64_t)numbers[2];
  ret->state.written = (uint64_t)numbers[3];
  ret->state.full_run_started_before = numbers[4];
  memcpy (&ret->committed, p + 2 + sizeof (numbers), sizeof (Meta));
  p += 2 + sizeof (numbers) + sizeof (Meta);
  if (get_string (&p, end, &ret->state.pipe) && get_string (&p, end, &ret->state.run_id)
      && get_string (&p, end, &ret->state.message) && get_string (&p, end, &ret->state.since_before)
      && ret->state.pipe != NULL && ret->state.run_id != NULL)
    {
      /* Records written before push holds end here. */
      if (p < end)
        {
          ret->state.push = (*p & BREAKER_PUSH) != 0;
          ret->state.push_created = (*p & BREAKER_PUSH_CREATED) != 0;
        }
      return TRUE;
    }
  sluice_lmdb_breaker_clear (ret);
  return FALSE;
}
