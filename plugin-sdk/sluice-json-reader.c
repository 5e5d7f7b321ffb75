/* sluice-json-reader.c — the incremental data-plane JSON parser.
 *
 * A hand-written push parser: bytes are fed in chunks of any size (one byte at a time works), and
 * each element of a top-level array, or each top-level value of a sequence (JSON lines; one value
 * only with SLUICE_JSON_READER_FLAG_ONE_VALUE), is handed out as soon as it is complete.
 * Containers under construction live on an explicit stack, so the parser never recurses and
 * memory is bounded by the largest single entity.  A token cut by a chunk boundary stays in the
 * buffer and its scan resumes where it stopped, so feeding byte by byte stays linear.
 *
 * A value under construction is recorded on a flat tape (one record per value and per key, text in
 * one buffer) rather than built node by node: when an entity is complete, its size is known, and it
 * is built straight into its arena block (sluice-value-arena.c) in one allocation, with no
 * intermediate nodes to allocate, copy and free.
 *
 * Why hand-written rather than yajl or json-c: exact error messages with byte offsets, values built
 * directly with no intermediate tree, and no new dependency; the measurements are in
 * docs/decisions/0001-data-plane-json-codec.md.
 */
#include "sluice-json.h"
#include "sluice-value-private.h"

#include <math.h>
#include <string.h>

typedef enum
{
  ST_TOP,          /* between top-level values */
  ST_VALUE,        /* a value must come (after ':' or after ',' in an array) */
  ST_ARRAY_FIRST,  /* after '[': a value or ']' */
  ST_ARRAY_NEXT,   /* after an element: ',' or ']' */
  ST_OBJECT_FIRST, /* after '{': a key or '}' */
  ST_OBJECT_KEY,   /* after ',' in an object: a key */
  ST_COLON,        /* after a key */
  ST_OBJECT_NEXT,  /* after a member: ',' or '}' */
  ST_END,          /* single-value mode: only whitespace may follow */
  ST_FAILED,
} State;

typedef enum
{
  TOKEN_NONE,
  TOKEN_STRING,
  TOKEN_NUMBER,
  TOKEN_LITERAL,
} Token;

typedef enum
{
  FRAME_ARRAY,
  FRAME_OBJECT,
  FRAME_STREAM, /* the top-level array whose elements are handed out one by one */
} FrameType;

typedef struct
{
  FrameType type;
  uint64_t start;   /* absolute offset of the opening bracket */
  size_t rec;       /* the container's tape record (not for FRAME_STREAM) */
  size_t n;         /* children (members) so far */
  size_t key_base;  /* its first key in reader->members */
  size_t key_bytes; /* key text so far, NULs included */
} Frame;

typedef enum
{
  TAPE_DICT,
  TAPE_LIST,
  TAPE_KEY,
  TAPE_STRING,
  TAPE_INTEGER,
  TAPE_FLOAT,
  TAPE_VALUE, /* a value built at once (literals, transit values, decimals), owned by the tape */
} TapeKind;

/* One value (or key) of the entity being parsed, in document order: a container's record comes
 * before its children's, a member's key record right before its value's. */
typedef struct
{
  uint32_t kind;
  uint32_t prefix; /* TAPE_KEY: sluice_dict_key_prefix () */
  size_t len;      /* TAPE_STRING, TAPE_KEY: bytes; TAPE_LIST, TAPE_DICT: children */
  union
  {
    size_t offset; /* TAPE_STRING: in reader->text */
    struct
    {
      size_t offset; /* in reader->text */
      uint64_t start; /* absolute offset of its opening quote, for errors */
    } key;
    int64_t integer;
    double number;
    SluiceValue *value;
    struct
    {
      size_t end; /* the record after the container's last descendant */
      size_t key_bytes;
    } c;
  } u;
} TapeRecord;

struct _SluiceJsonReader
{
  uint32_t flags;
  gboolean single; /* sluice_value_from_json (): exactly one value, arrays not streamed */
  State state;
  GError *error; /* set once the reader failed */

  /* The input being parsed: the caller's chunk itself when nothing was pending, else @buf. */
  const uint8_t *data;
  size_t len;
  GByteArray *buf; /* input kept between feeds: the start of a token cut by a chunk boundary */
  size_t pos;      /* parse position in data */
  uint64_t base;   /* absolute offset of data[0] */

  Token token;
  size_t token_start; /* in buf */
  size_t scan;        /* in buf: where the token's scan resumes */
  gboolean token_is_key, token_escapes, token_high;

  /* Plain arrays rather than GArrays: these are touched for every value parsed. */
  Frame *frames;
  size_t n_frames, cap_frames;
  TapeRecord *tape; /* the top-level value being parsed */
  size_t n_tape, cap_tape;
  char *text; /* the bytes of its strings and keys, escapes decoded */
  size_t text_len, text_cap;
  size_t *members; /* the tape records of the open objects' keys */
  size_t n_members, cap_members;
  /* The arena block the entity on the tape takes, and whether it must rather be built node by
   * node and copied (a dict with a sorted index). */
  size_t block_size;
  gboolean block_slow;
  SluiceValue **out; /* values handed out, waiting to be popped from out[out_head] */
  size_t out_head, n_out, cap_out;
};

/* Character classes for the string scan: 0 plain, 1 '"', 2 '\\', 3 control, 4 non-ASCII. */
static uint8_t string_class[256];

static void
init_tables (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (int c = 0; c < 256; c++)
        string_class[c] = c < 0x20 ? 3 : c == '"' ? 1 : c == '\\' ? 2 : c >= 0x80 ? 4 : 0;
      g_once_init_leave (&done, 1);
    }
}

static inline void *
reserve (void *array, size_t *cap, size_t need, size_t elem_size)
{
  if (G_LIKELY (need <= *cap))
    return array;
  *cap = MAX (need, MAX (*cap * 2, 16));
  return g_realloc_n (array, *cap, elem_size);
}

static SluiceJsonReader *
reader_new (uint32_t flags, gboolean single)
{
  SluiceJsonReader *reader = g_new0 (SluiceJsonReader, 1);

  init_tables ();
  reader->flags = flags;
  reader->single = single;
  reader->state = ST_TOP;
  reader->buf = g_byte_array_new ();
  return reader;
}

SluiceJsonReader *
sluice_json_reader_new (uint32_t flags)
{
  return reader_new (flags, FALSE);
}

void
sluice_json_reader_free (SluiceJsonReader *reader)
{
  if (reader == NULL)
    return;
  g_clear_error (&reader->error);
  g_byte_array_unref (reader->buf);
  g_free (reader->frames);
  for (size_t i = 0; i < reader->n_tape; i++)
    if (reader->tape[i].kind == TAPE_VALUE)
      sluice_value_unref (reader->tape[i].u.value);
  g_free (reader->tape);
  g_free (reader->text);
  g_free (reader->members);
  for (size_t i = reader->out_head; i < reader->n_out; i++)
    sluice_value_unref (reader->out[i]);
  g_free (reader->out);
  g_free (reader);
}

/* Errors. */

static uint64_t
abs_offset (SluiceJsonReader *reader, size_t pos)
{
  return reader->base + pos;
}

/* "'x'", "0xc3" or "end of input": what was found at @pos. */
static void
describe_at (SluiceJsonReader *reader, size_t pos, char ret[16])
{
  if (pos >= reader->len)
    g_strlcpy (ret, "end of input", 16);
  else
    {
      uint8_t c = reader->data[pos];

      if (c >= 0x20 && c < 0x7f)
        g_snprintf (ret, 16, "'%c'", c);
      else
        g_snprintf (ret, 16, "byte 0x%02x", c);
    }
}

static gboolean fail (SluiceJsonReader *reader, uint64_t offset, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
fail (SluiceJsonReader *reader, uint64_t offset, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  reader->error = g_error_new (SLUICE_ERROR, SLUICE_ERROR_PARSE, "byte %" G_GUINT64_FORMAT ": %s",
                               offset, message);
  reader->state = ST_FAILED;
  return FALSE;
}

static gboolean
fail_expected (SluiceJsonReader *reader, size_t pos, const char *expected)
{
  char got[16];

  describe_at (reader, pos, got);
  return fail (reader, abs_offset (reader, pos), "expected %s, got %s", expected, got);
}

/* The tape. */

static inline TapeRecord *
push_record (SluiceJsonReader *reader, TapeKind kind)
{
  TapeRecord *rec;

  reader->tape = reserve (reader->tape, &reader->cap_tape, reader->n_tape + 1, sizeof (TapeRecord));
  rec = &reader->tape[reader->n_tape++];
  rec->kind = kind;
  return rec;
}

/* Room for @len more bytes of text. */
static inline char *
text_reserve (SluiceJsonReader *reader, size_t len)
{
  reader->text = reserve (reader->text, &reader->text_cap, reader->text_len + len, 1);
  return reader->text + reader->text_len;
}

static inline size_t
tape_next (const SluiceJsonReader *reader, size_t i)
{
  const TapeRecord *rec = &reader->tape[i];

  return rec->kind == TAPE_DICT || rec->kind == TAPE_LIST ? rec->u.c.end : i + 1;
}

/* Builds the value of tape record @i node by node (single values, and entities that take the slow
 * way); the tape's own values are moved into it. */
static SluiceValue *
build_nodes (SluiceJsonReader *reader, size_t i)
{
  TapeRecord *rec = &reader->tape[i];
  size_t n = rec->len;

  switch (rec->kind)
    {
    case TAPE_STRING:
      return sluice_value_new_text_unchecked (SLUICE_VALUE_STRING, reader->text + rec->u.offset, rec->len);
    case TAPE_INTEGER:
      return sluice_value_new_integer (rec->u.integer);
    case TAPE_FLOAT:
      return sluice_value_new_float (rec->u.number);
    case TAPE_VALUE:
      return g_steal_pointer (&rec->u.value);
    case TAPE_LIST:
      {
        g_autofree SluiceValue **items = g_new (SluiceValue *, n);
        size_t child = i + 1;

        for (size_t k = 0; k < n; k++)
          {
            items[k] = build_nodes (reader, child);
            child = tape_next (reader, child);
          }
        return sluice_value_new_list_take (items, n);
      }
    default:
      {
        g_autofree SluiceValue **values = g_new (SluiceValue *, n);
        g_autofree const char **keys = g_new (const char *, n);
        g_autofree uint32_t *key_lens = g_new (uint32_t, n);
        size_t child = i + 1;

        g_assert (rec->kind == TAPE_DICT);
        for (size_t k = 0; k < n; k++)
          {
            const TapeRecord *key = &reader->tape[child];

            keys[k] = reader->text + key->u.key.offset;
            key_lens[k] = (uint32_t) key->len;
            values[k] = build_nodes (reader, child + 1);
            child = tape_next (reader, child + 1);
          }
        return sluice_value_new_dict_take (keys, key_lens, values, n);
      }
    }
}

/* The typed values the tape holds built (transit values, decimals, big integers): the bytes one
 * takes in a block, and its copy there, as sluice_value_dup_compact () makes them. */
static size_t
scalar_block_size (const SluiceValue *value)
{
  switch (value->kind)
    {
    case SLUICE_VALUE_DECIMAL:
      return sluice_arena_node_size (sluice_decimal_payload_size (value->u.str.len));
    case SLUICE_VALUE_STRING:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_UUID:
    case SLUICE_VALUE_BYTES:
      return sluice_arena_node_size (value->u.str.len + 1);
    default:
      return sluice_arena_node_size (0);
    }
}


/* Builds the value of tape record @i into @arena, in the order sluice_value_dup_compact () lays a
 * tree out: a container's node (a dict's entries and key text with it), then each child's subtree. */
static SluiceValue *
build_block (SluiceJsonReader *reader, SluiceArena *arena, size_t i)
{
  TapeRecord *rec = &reader->tape[i];
  size_t n = rec->len;
  SluiceValue *value;

  switch (rec->kind)
    {
    case TAPE_STRING:
      return sluice_arena_new_text (arena, SLUICE_VALUE_STRING, reader->text + rec->u.offset, rec->len);
    case TAPE_INTEGER:
      if (rec->u.integer >= 0 && rec->u.integer < SLUICE_VALUE_N_SMALL_INTEGERS)
        return sluice_value_new_integer (rec->u.integer);
      value = sluice_arena_alloc (arena, SLUICE_VALUE_INTEGER, 0);
      value->u.integer = rec->u.integer;
      return value;
    case TAPE_FLOAT:
      value = sluice_arena_alloc (arena, SLUICE_VALUE_FLOAT, 0);
      value->u.number = rec->u.number;
      return value;
    case TAPE_VALUE:
      if (rec->u.value->flags & VALUE_FLAG_STATIC)
        return rec->u.value;
      value = sluice_arena_copy_scalar (arena, rec->u.value);
      g_clear_pointer (&rec->u.value, sluice_value_unref);
      return value;
    case TAPE_LIST:
      {
        SluiceValue **items;
        size_t child = i + 1;

        value = sluice_arena_alloc (arena, SLUICE_VALUE_LIST, n * sizeof (SluiceValue *));
        items = (SluiceValue **) (value + 1);
        value->u.list.items = items;
        value->u.list.len = n;
        for (size_t k = 0; k < n; k++)
          {
            items[k] = build_block (reader, arena, child);
            child = tape_next (reader, child);
          }
        return value;
      }
    default:
      {
        SluiceDictEntry *entries;
        char *key_data;
        size_t child = i + 1;

        value = sluice_arena_new_dict (arena, n, rec->u.c.key_bytes, &key_data);
        entries = value->u.dict.entries;
        for (size_t k = 0; k < n; k++)
          {
            const TapeRecord *key = &reader->tape[child];

            memcpy (key_data, reader->text + key->u.key.offset, key->len + 1);
            entries[k].key = key_data;
            entries[k].key_len = (uint32_t) key->len;
            entries[k].key_prefix = key->prefix;
            key_data += key->len + 1;
            child = tape_next (reader, child + 1);
          }
        child = i + 1;
        for (size_t k = 0; k < n; k++)
          {
            entries[k].value = build_block (reader, arena, child + 1);
            child = tape_next (reader, child + 1);
          }
        return value;
      }
    }
}

/* Hands out the value on the tape and empties the tape.  An entity (a container, when not parsing
 * a single value) becomes one arena block, which its readers walk faster and which is freed at
 * once; single values (configuration, since values) keep their nodes: a part of them may outlive
 * the rest. */
static void
hand_out (SluiceJsonReader *reader)
{
  uint32_t kind = reader->tape[0].kind;
  SluiceValue *value;

  if (reader->single || (kind != TAPE_DICT && kind != TAPE_LIST))
    value = build_nodes (reader, 0);
  else if (!reader->block_slow)
    {
      SluiceArena arena;

      sluice_arena_init (&arena, reader->block_size);
      value = build_block (reader, &arena, 0);
      g_assert (value == arena.root && arena.used == arena.size);
    }
  else
    {
      SluiceValue *nodes = build_nodes (reader, 0);

      value = sluice_value_dup_compact (nodes);
      sluice_value_unref (nodes);
    }
  reader->n_tape = 0;
  reader->text_len = 0;
  reader->block_size = 0;
  reader->block_slow = FALSE;

  if (reader->out_head > 0 && reader->n_out == reader->cap_out)
    {
      memmove (reader->out, reader->out + reader->out_head,
               (reader->n_out - reader->out_head) * sizeof (SluiceValue *));
      reader->n_out -= reader->out_head;
      reader->out_head = 0;
    }
  reader->out = reserve (reader->out, &reader->cap_out, reader->n_out + 1, sizeof (SluiceValue *));
  reader->out[reader->n_out++] = value;
}

/* The value whose record was just completed on the tape. */
static gboolean
value_done (SluiceJsonReader *reader)
{
  Frame *top;

  if (reader->n_frames == 0)
    {
      hand_out (reader);
      reader->state = reader->single || (reader->flags & SLUICE_JSON_READER_FLAG_ONE_VALUE)
                        ? ST_END
                        : ST_TOP;
      return TRUE;
    }
  top = &reader->frames[reader->n_frames - 1];
  if (top->type == FRAME_STREAM)
    {
      hand_out (reader);
      reader->state = ST_ARRAY_NEXT;
      return TRUE;
    }
  top->n++;
  reader->state = top->type == FRAME_ARRAY ? ST_ARRAY_NEXT : ST_OBJECT_NEXT;
  return TRUE;
}

static gboolean
push_integer (SluiceJsonReader *reader, int64_t i)
{
  push_record (reader, TAPE_INTEGER)->u.integer = i;
  if (i < 0 || i >= SLUICE_VALUE_N_SMALL_INTEGERS)
    reader->block_size += sluice_arena_node_size (0);
  return value_done (reader);
}

static gboolean
push_float (SluiceJsonReader *reader, double d)
{
  push_record (reader, TAPE_FLOAT)->u.number = d;
  reader->block_size += sluice_arena_node_size (0);
  return value_done (reader);
}

/* Takes @value. */
static gboolean
push_value (SluiceJsonReader *reader, SluiceValue *value)
{
  push_record (reader, TAPE_VALUE)->u.value = value;
  if (!(value->flags & VALUE_FLAG_STATIC))
    reader->block_size += scalar_block_size (value);
  return value_done (reader);
}

static gboolean
open_container (SluiceJsonReader *reader, FrameType type)
{
  Frame *frame;

  if (reader->n_frames >= SLUICE_JSON_MAX_DEPTH)
    return fail (reader, abs_offset (reader, reader->pos),
                 "nesting deeper than %d levels", SLUICE_JSON_MAX_DEPTH);
  reader->frames = reserve (reader->frames, &reader->cap_frames, reader->n_frames + 1, sizeof (Frame));
  frame = &reader->frames[reader->n_frames++];
  frame->type = type;
  frame->start = abs_offset (reader, reader->pos);
  frame->n = 0;
  frame->key_base = reader->n_members;
  frame->key_bytes = 0;
  if (type != FRAME_STREAM)
    {
      frame->rec = reader->n_tape;
      push_record (reader, type == FRAME_OBJECT ? TAPE_DICT : TAPE_LIST);
    }
  reader->state = type == FRAME_OBJECT ? ST_OBJECT_FIRST : ST_ARRAY_FIRST;
  reader->pos++;
  return TRUE;
}

/* Duplicate keys.  JSON leaves an object that names a key twice open to any reading (RFC 8259
 * §4), and keeping one of the values would drop the other without a word: it is refused, as the
 * configuration refuses it.  The check is cheap: keys are compared only where a filter of their
 * hashes says two may be equal; a large object whose keys collide too often in it is sorted
 * instead, so that no set of keys makes the check quadratic. */

static gboolean
keys_equal (const SluiceJsonReader *reader, const TapeRecord *a, const TapeRecord *b)
{
  return a->len == b->len && a->prefix == b->prefix
         && memcmp (reader->text + a->u.key.offset, reader->text + b->u.key.offset, a->len) == 0;
}

typedef struct
{
  const SluiceJsonReader *reader;
  const size_t *members;
} KeyOrder;

/* By content, then by position: a key's repeats follow it. */
static int
compare_keys (gconstpointer pa, gconstpointer pb, gpointer user_data)
{
  const KeyOrder *order = user_data;
  size_t ia = *(const size_t *) pa, ib = *(const size_t *) pb;
  const TapeRecord *a = &order->reader->tape[order->members[ia]];
  const TapeRecord *b = &order->reader->tape[order->members[ib]];
  int c;

  if (a->prefix != b->prefix)
    return a->prefix < b->prefix ? -1 : 1;
  if (a->len != b->len)
    return a->len < b->len ? -1 : 1;
  c = memcmp (order->reader->text + a->u.key.offset, order->reader->text + b->u.key.offset, a->len);
  if (c != 0)
    return c;
  return ia < ib ? -1 : ia > ib;
}

/* find_repeated_key () by sorting: O(n log n) whatever the keys. */
static G_GNUC_NO_INLINE gboolean
find_repeated_key_sorted (const SluiceJsonReader *reader, const size_t *members, size_t n,
                          size_t *ret_repeat, size_t *ret_first)
{
  g_autofree size_t *sorted = g_new (size_t, n);
  KeyOrder order = { reader, members };
  gboolean found = FALSE;

  for (size_t i = 0; i < n; i++)
    sorted[i] = i;
  g_qsort_with_data (sorted, (gint) n, sizeof (size_t), compare_keys, &order);
  /* The second key of each run of equal ones is a repeat: the earliest of those counts. */
  for (size_t k = 1; k < n; k++)
    {
      const TapeRecord *key = &reader->tape[members[sorted[k]]];
      const TapeRecord *before = &reader->tape[members[sorted[k - 1]]];

      if (keys_equal (reader, key, before)
          && (k < 2 || !keys_equal (reader, before, &reader->tape[members[sorted[k - 2]]]))
          && (!found || sorted[k] < *ret_repeat))
        {
          *ret_repeat = sorted[k];
          *ret_first = sorted[k - 1];
          found = TRUE;
        }
    }
  return found;
}

/* Whether key @i equals one of the keys before it, and which. */
static gboolean
find_earlier_key (const SluiceJsonReader *reader, const size_t *members, size_t i,
                  size_t *ret_first)
{
  for (size_t j = 0; j < i; j++)
    if (keys_equal (reader, &reader->tape[members[i]], &reader->tape[members[j]]))
      {
        *ret_first = j;
        return TRUE;
      }
  return FALSE;
}

#define LARGE_FILTER_BITS 4096
#define LARGE_MAX_COLLISIONS 16

/* find_repeated_key () for an object with more keys than a 64-bit filter serves: a filter of
 * LARGE_FILTER_BITS over a hash of each key's whole text. */
static G_GNUC_NO_INLINE gboolean
find_repeated_key_large (const SluiceJsonReader *reader, const size_t *members, size_t n,
                         size_t *ret_repeat, size_t *ret_first)
{
  uint64_t filter[LARGE_FILTER_BITS / 64] = { 0 };
  unsigned collisions = 0;

  for (size_t i = 0; i < n; i++)
    {
      const TapeRecord *a = &reader->tape[members[i]];
      const char *text = reader->text + a->u.key.offset;
      uint64_t h = a->len * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15), w;
      size_t k = 0, bit;

      for (; k + 8 <= a->len; k += 8)
        {
          memcpy (&w, text + k, 8);
          h = (h ^ w) * G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
          h ^= h >> 29;
        }
      w = 0;
      memcpy (&w, text + k, a->len - k);
      h = (h ^ w) * G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
      bit = (size_t) (h >> 52); /* the top 12 bits */
      if (!(filter[bit / 64] & (G_GUINT64_CONSTANT (1) << (bit % 64))))
        {
          filter[bit / 64] |= G_GUINT64_CONSTANT (1) << (bit % 64);
          continue;
        }
      if (++collisions > LARGE_MAX_COLLISIONS)
        return find_repeated_key_sorted (reader, members, n, ret_repeat, ret_first);
      if (find_earlier_key (reader, members, i, ret_first))
        {
          *ret_repeat = i;
          return TRUE;
        }
    }
  return FALSE;
}

/* The first of the @n keys listed at @members (in document order) that repeats an earlier one,
 * with that earlier one in *@ret_first; FALSE when every key is different. */
static inline gboolean
find_repeated_key (const SluiceJsonReader *reader, const size_t *members, size_t n,
                   size_t *ret_repeat, size_t *ret_first)
{
  uint64_t seen = 0;

  if (n > SLUICE_DICT_INDEX_THRESHOLD)
    return find_repeated_key_large (reader, members, n, ret_repeat, ret_first);
  for (size_t i = 0; i < n; i++)
    {
      const TapeRecord *a = &reader->tape[members[i]];
      /* One bit per key, from its length and first bytes. */
      uint64_t bit = G_GUINT64_CONSTANT (1) << (((a->prefix + (uint32_t) a->len) * 0x9e3779b1u) >> 26);

      if (!(seen & bit))
        {
          seen |= bit;
          continue;
        }
      if (find_earlier_key (reader, members, i, ret_first))
        {
          *ret_repeat = i;
          return TRUE;
        }
    }
  return FALSE;
}

static G_GNUC_NO_INLINE gboolean
fail_repeated_key (SluiceJsonReader *reader, const Frame *frame, const TapeRecord *repeat,
                   const TapeRecord *first)
{
  g_autoptr (GString) key = g_string_new (NULL);
  const char *text = reader->text + repeat->u.key.offset;
  size_t shown = repeat->len;

  /* At most 64 bytes of it, cut at a character boundary. */
  if (shown > 64)
    shown = (size_t) (g_utf8_find_prev_char (text, text + 65) - text);
  sluice_json_write_string (key, text, shown);
  if (shown < repeat->len)
    g_string_insert (key, (gssize) key->len - 1, "…");
  return fail (reader, repeat->u.key.start,
               "duplicate key %s in the object starting at byte %" G_GUINT64_FORMAT
               " (first at byte %" G_GUINT64_FORMAT ")",
               key->str, frame->start, first->u.key.start);
}

static gboolean
close_container (SluiceJsonReader *reader)
{
  Frame frame = reader->frames[--reader->n_frames];
  TapeRecord *rec;

  reader->pos++;
  if (frame.type == FRAME_STREAM)
    {
      reader->state = (reader->flags & SLUICE_JSON_READER_FLAG_ONE_VALUE) ? ST_END : ST_TOP;
      return TRUE;
    }
  rec = &reader->tape[frame.rec];
  rec->len = frame.n;
  rec->u.c.end = reader->n_tape;
  if (frame.type == FRAME_ARRAY)
    reader->block_size += sluice_arena_node_size (frame.n * sizeof (SluiceValue *));
  else
    {
      const size_t *members = reader->members + frame.key_base;
      size_t repeat = 0, first = 0;

      if (find_repeated_key (reader, members, frame.n, &repeat, &first))
        return fail_repeated_key (reader, &frame, &reader->tape[members[repeat]],
                                  &reader->tape[members[first]]);
      rec->u.c.key_bytes = frame.key_bytes;
      /* A dict large enough for a sorted index is rare: such an entity is built node by node,
       * which makes the index, and copied into its block. */
      if (frame.n > SLUICE_DICT_INDEX_THRESHOLD)
        reader->block_slow = TRUE;
      reader->block_size += sluice_arena_node_size (sluice_dict_payload_size (frame.n, frame.key_bytes));
      reader->n_members = frame.key_base;
    }
  return value_done (reader);
}

/* Strings. */

/* Four hex digits at @p (bounds already known), or -1. */
static int
read_hex4 (const uint8_t *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int h = g_ascii_xdigit_value ((char) p[i]);

      if (h < 0)
        return -1;
      v = v << 4 | h;
    }
  return v;
}

/* Decodes the escapes of the string body at [@start, @end) of the input into @out, which has room
 * for @end - @start bytes (no escape is shorter than what it stands for); *@ret_len: the bytes
 * written. */
static gboolean
decode_escapes (SluiceJsonReader *reader, size_t start, size_t end, char *out, size_t *ret_len)
{
  const uint8_t *data = reader->data;
  size_t i = start, run = start, o = 0;

  while (i < end)
    {
      uint8_t c;
      size_t esc = i;

      if (data[i] != '\\')
        {
          i++;
          continue;
        }
      memcpy (out + o, data + run, i - run);
      o += i - run;
      c = data[i + 1]; /* the scan guarantees a character after a backslash */
      i += 2;
      switch (c)
        {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u':
          {
            int cp = end - i >= 4 ? read_hex4 (data + i) : -1;

            if (cp < 0)
              return fail (reader, abs_offset (reader, esc),
                           "invalid \\u escape in string: expected 4 hexadecimal digits");
            i += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
              return fail (reader, abs_offset (reader, esc),
                           "invalid \\u escape in string: low surrogate \\u%04x without a high "
                           "surrogate before it", (unsigned) cp);
            if (cp >= 0xd800 && cp <= 0xdbff)
              {
                int lo = end - i >= 6 && data[i] == '\\' && data[i + 1] == 'u'
                         ? read_hex4 (data + i + 2) : -1;

                if (lo < 0xdc00 || lo > 0xdfff)
                  return fail (reader, abs_offset (reader, esc),
                               "invalid \\u escape in string: high surrogate \\u%04x not followed "
                               "by a low surrogate", (unsigned) cp);
                i += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              }
            o += (size_t) g_unichar_to_utf8 ((gunichar) cp, out + o);
          }
          break;
        default:
          {
            char got[16];

            describe_at (reader, esc + 1, got);
            return fail (reader, abs_offset (reader, esc),
                         "invalid escape in string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r "
                         "\\t \\u after the backslash, got %s", got);
          }
        }
      run = i;
    }
  memcpy (out + o, data + run, end - run);
  *ret_len = o + (end - run);
  return TRUE;
}

static gboolean
finish_string (SluiceJsonReader *reader, size_t end)
{
  size_t start = reader->token_start + 1;
  size_t offset = reader->text_len;
  char *str;
  size_t len = 0;
  TapeRecord *rec;

  reader->token = TOKEN_NONE;
  reader->pos = end + 1;
  if (reader->token_high)
    {
      const char *bad = NULL;

      if (!g_utf8_validate_len ((const char *) reader->data + start, end - start, &bad))
        return fail (reader, abs_offset (reader, (size_t) ((const uint8_t *) bad - reader->data)),
                     "invalid UTF-8 in string");
    }
  /* The text goes to the tape's buffer, NUL-terminated as it will be in the value. */
  str = text_reserve (reader, end - start + 1);
  if (reader->token_escapes)
    {
      if (!decode_escapes (reader, start, end, str, &len))
        return FALSE;
    }
  else
    {
      len = end - start;
      memcpy (str, reader->data + start, len);
    }
  str[len] = '\0';

  if (reader->token_is_key)
    {
      Frame *top = &reader->frames[reader->n_frames - 1];

      if (len > UINT32_MAX)
        return fail (reader, abs_offset (reader, reader->token_start), "object key longer than 4 GiB");
      reader->members = reserve (reader->members, &reader->cap_members, reader->n_members + 1,
                                 sizeof (size_t));
      reader->members[reader->n_members++] = reader->n_tape;
      rec = push_record (reader, TAPE_KEY);
      rec->prefix = sluice_dict_key_prefix (str, len);
      rec->len = len;
      rec->u.key.offset = offset;
      rec->u.key.start = abs_offset (reader, reader->token_start);
      reader->text_len += len + 1;
      top->key_bytes += len + 1;
      reader->state = ST_COLON;
      return TRUE;
    }
  if (len >= 2 && str[0] == '~')
    {
      SluiceValue *value = sluice_value_from_transit (str, len);

      if (value != NULL)
        return push_value (reader, value);
    }
  rec = push_record (reader, TAPE_STRING);
  rec->len = len;
  rec->u.offset = offset;
  reader->text_len += len + 1;
  reader->block_size += sluice_arena_node_size (len + 1);
  return value_done (reader);
}

/* Continues scanning a string token; FALSE with *@ret_done unset when more input is needed. */
static gboolean
scan_string (SluiceJsonReader *reader, gboolean *ret_done)
{
  const uint8_t *data = reader->data;
  size_t len = reader->len;
  size_t i = reader->scan;

  *ret_done = FALSE;
  while (i < len)
    {
      uint8_t cls;

      /* Eight bytes at a time while none of them is '"', '\\' or a control character, then
       * straight to the first one that is: the lowest flagged byte of each test is exact (a
       * borrow only runs upwards from a byte that matched), so the first special byte is found
       * without looking at the bytes before it again. */
      while (i + 8 <= len)
        {
          const uint64_t ones = G_GUINT64_CONSTANT (0x0101010101010101);
          const uint64_t highs = G_GUINT64_CONSTANT (0x8080808080808080);
          uint64_t x, q, b, special;

          memcpy (&x, data + i, 8);
          x = GUINT64_FROM_LE (x); /* byte k of the input in bits 8k to 8k + 7 */
          q = x ^ (ones * '"');
          b = x ^ (ones * '\\');
          special = (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs;
          if (special != 0)
            {
              unsigned k = (unsigned) __builtin_ctzll (special) / 8;

              if (x & highs & ((G_GUINT64_CONSTANT (1) << (8 * k)) - 1))
                reader->token_high = TRUE;
              i += k;
              break;
            }
          if (x & highs)
            reader->token_high = TRUE;
          i += 8;
        }
      if (i >= len)
        break;
      cls = string_class[data[i]];

      if (G_LIKELY (cls == 0))
        {
          i++;
          continue;
        }
      switch (cls)
        {
        case 1:
          *ret_done = TRUE;
          return finish_string (reader, i);
        case 2:
          if (i + 1 >= len)
            {
              /* Resume at the backslash once the escaped character is there. */
              reader->scan = i;
              return TRUE;
            }
          reader->token_escapes = TRUE;
          i += 2;
          break;
        case 3:
          return fail (reader, abs_offset (reader, i),
                       "control character U+%04X in string: expected it escaped, as \\u%04x",
                       data[i], data[i]);
        default:
          reader->token_high = TRUE;
          i++;
          break;
        }
    }
  reader->scan = i;
  return TRUE;
}

/* Numbers. */

static gboolean
is_number_char (uint8_t c)
{
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* A number's text as finish_number () split it: the digits before the point at [digits, int_end),
 * those after it at [frac_start, frac_end), the exponent with its sign at [exp_start, end) (both
 * empty when absent). */
typedef struct
{
  const uint8_t *data;
  size_t digits, int_end, frac_start, frac_end, exp_start, end;
  gboolean negative;
} NumberText;

/* The k-th of the number's digits, counting those before and after the point. */
static inline uint8_t
number_digit (const NumberText *n, size_t k)
{
  size_t n_int = n->int_end - n->digits;

  return k < n_int ? n->data[n->digits + k] : n->data[n->frac_start + k - n_int];
}

/* Whether the number is a whole number that an int64 holds, and which: decided on its digits,
 * since a double would make 4503599627370496.5e0 whole and 12345678901234567e1 inexact. */
static G_GNUC_NO_INLINE gboolean
number_exact_int64 (const NumberText *n, int64_t *ret_value)
{
  size_t n_frac = n->frac_end - n->frac_start, n_all = n->int_end - n->digits + n_frac;
  size_t first = 0, last;
  uint64_t acc = 0, limit = n->negative ? (uint64_t) G_MAXINT64 + 1 : (uint64_t) G_MAXINT64;
  int64_t exponent = 0, scale;
  gboolean exponent_negative = FALSE;

  while (first < n_all && number_digit (n, first) == '0')
    first++;
  if (first == n_all)
    {
      *ret_value = 0;
      return TRUE;
    }
  last = n_all - 1;
  while (number_digit (n, last) == '0')
    last--;
  for (size_t q = n->exp_start; q < n->end; q++)
    {
      if (n->data[q] == '-')
        exponent_negative = TRUE;
      else if (n->data[q] != '+' && exponent < 1000000000) /* beyond, it is no int64 anyway */
        exponent = exponent * 10 + (n->data[q] - '0');
    }
  /* The value is the digits first … last times 10^scale. */
  scale = (exponent_negative ? -exponent : exponent) - (int64_t) n_frac
          + (int64_t) (n_all - 1 - last);
  if (scale < 0 || (int64_t) (last - first + 1) + scale > 19)
    return FALSE;
  for (size_t k = first; k <= last; k++)
    {
      uint64_t digit = number_digit (n, k) - '0';

      if (acc > (limit - digit) / 10)
        return FALSE;
      acc = acc * 10 + digit;
    }
  for (int64_t i = 0; i < scale; i++)
    {
      if (acc > limit / 10)
        return FALSE;
      acc *= 10;
    }
  *ret_value = n->negative ? (int64_t) (0 - acc) : (int64_t) acc;
  return TRUE;
}

static G_GNUC_NO_INLINE gboolean
number_is_zero (const NumberText *n)
{
  size_t n_all = n->int_end - n->digits + (n->frac_end - n->frac_start);

  for (size_t k = 0; k < n_all; k++)
    if (number_digit (n, k) != '0')
      return FALSE;
  return TRUE;
}

/* The number @text (@len bytes, starting at @start in the input) as a DECIMAL, exactly as sent. */
static G_GNUC_NO_INLINE gboolean
push_decimal (SluiceJsonReader *reader, size_t start, const char *text, size_t len)
{
  SluiceValue *value = sluice_value_new_decimal_len (text, len, NULL);

  /* The syntax was checked: only an exponent too large for a decimal fails. */
  if (value == NULL)
    return fail (reader, abs_offset (reader, start),
                 "number out of range: %.*s%s has an exponent larger than a decimal holds "
                 "(about a billion)", (int) MIN (len, 40), text, len > 40 ? "…" : "");
  return push_value (reader, value);
}

static gboolean
finish_number (SluiceJsonReader *reader, size_t end)
{
  const uint8_t *data = reader->data;
  size_t start = reader->token_start, p = start, int_end, frac_start = 0, frac_end = 0;
  size_t exp_start = end;
  gboolean negative = FALSE, has_frac = FALSE, has_exp = FALSE;
  char got[16];

  reader->token = TOKEN_NONE;
  reader->pos = end;

#define DIGIT_AT(q) ((q) < end && data[q] >= '0' && data[q] <= '9')
  if (data[p] == '-')
    {
      negative = TRUE;
      p++;
    }
  if (!DIGIT_AT (p))
    {
      describe_at (reader, p, got);
      return fail (reader, abs_offset (reader, p),
                   negative ? "invalid number: expected a digit after '-', got %s"
                            : "invalid number: expected a digit, got %s", got);
    }
  if (data[p] == '0' && DIGIT_AT (p + 1))
    return fail (reader, abs_offset (reader, p),
                 "invalid number: a leading zero must not be followed by digits");
  while (DIGIT_AT (p))
    p++;
  int_end = p;
  if (p < end && data[p] == '.')
    {
      p++;
      if (!DIGIT_AT (p))
        {
          describe_at (reader, p, got);
          return fail (reader, abs_offset (reader, p),
                       "invalid number: expected a digit after '.', got %s", got);
        }
      has_frac = TRUE;
      frac_start = p;
      while (DIGIT_AT (p))
        p++;
      frac_end = p;
    }
  if (p < end && (data[p] == 'e' || data[p] == 'E'))
    {
      exp_start = ++p;
      if (p < end && (data[p] == '+' || data[p] == '-'))
        p++;
      if (!DIGIT_AT (p))
        {
          describe_at (reader, p, got);
          return fail (reader, abs_offset (reader, p),
                       "invalid number: expected a digit in the exponent, got %s", got);
        }
      has_exp = TRUE;
      while (DIGIT_AT (p))
        p++;
    }
  if (p != end)
    {
      describe_at (reader, p, got);
      return fail (reader, abs_offset (reader, p), "invalid number: unexpected %s", got);
    }
#undef DIGIT_AT

  if (!has_exp && (!has_frac || (reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_INT)))
    {
      gboolean integral = TRUE;

      for (size_t q = frac_start; q < frac_end; q++)
        integral &= data[q] == '0';
      if (integral)
        {
          uint64_t acc = 0, limit = negative ? (uint64_t) G_MAXINT64 + 1 : (uint64_t) G_MAXINT64;
          gboolean overflow = FALSE;

          for (size_t q = start + negative; q < int_end && !overflow; q++)
            {
              uint64_t digit = data[q] - '0';

              if (acc > (limit - digit) / 10)
                overflow = TRUE;
              else
                acc = acc * 10 + digit;
            }
          if (overflow)
            /* Integers are unbounded in the entity model: keep the exact value. */
            return push_value (reader, sluice_value_new_big_integer ((const char *) data + start,
                                                                     int_end - start));
          return push_integer (reader, negative ? (int64_t) (0 - acc) : (int64_t) acc);
        }
    }

  if (has_frac && !has_exp && !(reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL)
      && (int_end - start - negative) + (frac_end - frac_start) <= 15)
    {
      /* Up to 15 digits make an integer below 2^53, and a power of ten up to 10^22 is exact in
       * binary64: one division then rounds once, correctly, to what strtod () gives (Clinger's
       * fast path), without its cost. */
      static const double powers[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
      uint64_t m = 0;
      double d;

      for (size_t q = start + negative; q < int_end; q++)
        m = m * 10 + (uint64_t) (data[q] - '0');
      for (size_t q = frac_start; q < frac_end; q++)
        m = m * 10 + (uint64_t) (data[q] - '0');
      d = (double) m / powers[frac_end - frac_start];
      if (negative)
        d = -d;
      if ((reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_INT) && d == trunc (d))
        return push_integer (reader, (int64_t) d);
      return push_float (reader, d);
    }

  {
    const NumberText number = { data, start + negative, int_end, frac_start, frac_end, exp_start,
                                end, negative };
    char small[64];
    g_autofree char *big = NULL;
    char *text = small;
    size_t len = end - start;
    int64_t whole;
    double d;

    /* Without an exponent, a whole number was taken above. */
    if ((reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_INT) && has_exp
        && number_exact_int64 (&number, &whole))
      return push_integer (reader, whole);
    if (len >= sizeof small)
      text = big = g_malloc (len + 1);
    memcpy (text, data + start, len);
    text[len] = '\0';
    if (reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL)
      return push_decimal (reader, start, text, len);
    d = g_ascii_strtod (text, NULL);
    if (isinf (d))
      return fail (reader, abs_offset (reader, start),
                   "number out of range: %.*s%s is beyond the largest binary64 float (about 1.8e308)",
                   (int) MIN (len, 40), text, len > 40 ? "…" : "");
    /* Below the smallest double, a number that is not zero would become 0: it stays exact. */
    if (d == 0 && !number_is_zero (&number))
      return push_decimal (reader, start, text, len);
    return push_float (reader, d);
  }
}

static gboolean
scan_number (SluiceJsonReader *reader, gboolean at_eof, gboolean *ret_done)
{
  const uint8_t *data = reader->data;
  size_t len = reader->len, i = reader->scan;

  while (i < len && is_number_char (data[i]))
    i++;
  reader->scan = i;
  *ret_done = i < len || at_eof;
  if (!*ret_done)
    return TRUE;
  return finish_number (reader, i);
}

/* Literals. */

static gboolean
scan_literal (SluiceJsonReader *reader, gboolean at_eof, gboolean *ret_done)
{
  const uint8_t *data = reader->data;
  size_t start = reader->token_start, avail = reader->len - start;
  const char *word = data[start] == 't' ? "true" : data[start] == 'f' ? "false" : "null";
  size_t wlen = strlen (word), n = MIN (avail, wlen);

  *ret_done = FALSE;
  for (size_t i = 0; i < n; i++)
    if (data[start + i] != (uint8_t) word[i])
      {
        char got[16];

        describe_at (reader, start + i, got);
        return fail (reader, abs_offset (reader, start + i), "invalid literal: expected %s, got %s",
                     word, got);
      }
  if (avail < wlen)
    {
      if (at_eof)
        return fail (reader, abs_offset (reader, reader->len),
                     "truncated input: incomplete literal %s starting at byte %" G_GUINT64_FORMAT,
                     word, abs_offset (reader, start));
      return TRUE;
    }
  *ret_done = TRUE;
  reader->token = TOKEN_NONE;
  reader->pos = start + wlen;
  return push_value (reader, data[start] == 't'   ? sluice_value_new_boolean (TRUE)
                             : data[start] == 'f' ? sluice_value_new_boolean (FALSE)
                                                  : sluice_value_new_null ());
}

/* The parse loop. */

static gboolean
start_value (SluiceJsonReader *reader, uint8_t c)
{
  size_t pos = reader->pos;

  switch (c)
    {
    case '{':
      return open_container (reader, FRAME_OBJECT);
    case '[':
      return open_container (reader, reader->n_frames == 0 && !reader->single ? FRAME_STREAM
                                                                                 : FRAME_ARRAY);
    case '"':
      reader->token = TOKEN_STRING;
      reader->token_is_key = FALSE;
      break;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      reader->token = TOKEN_NUMBER;
      break;
    case 't':
    case 'f':
    case 'n':
      reader->token = TOKEN_LITERAL;
      break;
    default:
      return fail_expected (reader, pos, "a value");
    }
  reader->token_start = pos;
  reader->scan = pos + 1;
  reader->token_escapes = FALSE;
  reader->token_high = FALSE;
  return TRUE;
}

static void
start_key (SluiceJsonReader *reader)
{
  reader->token = TOKEN_STRING;
  reader->token_is_key = TRUE;
  reader->token_start = reader->pos;
  reader->scan = reader->pos + 1;
  reader->token_escapes = FALSE;
  reader->token_high = FALSE;
}

static gboolean
parse (SluiceJsonReader *reader, gboolean at_eof)
{
  for (;;)
    {
      const uint8_t *data;
      size_t len;
      uint8_t c;

      if (reader->token != TOKEN_NONE)
        {
          gboolean done = FALSE, ok;

          switch (reader->token)
            {
            case TOKEN_STRING:
              ok = scan_string (reader, &done);
              break;
            case TOKEN_NUMBER:
              ok = scan_number (reader, at_eof, &done);
              break;
            default:
              ok = scan_literal (reader, at_eof, &done);
              break;
            }
          if (!ok)
            return FALSE;
          if (!done)
            return TRUE;
          continue;
        }

      data = reader->data;
      len = reader->len;
      {
        size_t pos = reader->pos;

        while (pos < len && (data[pos] == ' ' || data[pos] == '\n' || data[pos] == '\r'
                             || data[pos] == '\t'))
          pos++;
        reader->pos = pos;
        if (pos >= len)
          return TRUE;
        c = data[pos];
      }

      switch (reader->state)
        {
        case ST_TOP:
        case ST_VALUE:
          if (!start_value (reader, c))
            return FALSE;
          break;
        case ST_ARRAY_FIRST:
          if (c == ']')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else if (!start_value (reader, c))
            return FALSE;
          break;
        case ST_ARRAY_NEXT:
          if (c == ',')
            {
              reader->pos++;
              reader->state = ST_VALUE;
            }
          else if (c == ']')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else
            return fail_expected (reader, reader->pos, "',' or ']' after array element");
          break;
        case ST_OBJECT_FIRST:
          if (c == '}')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else if (c == '"')
            start_key (reader);
          else
            return fail_expected (reader, reader->pos, "a string key or '}'");
          break;
        case ST_OBJECT_KEY:
          if (c != '"')
            return fail_expected (reader, reader->pos, "a string key after ','");
          start_key (reader);
          break;
        case ST_COLON:
          if (c != ':')
            return fail_expected (reader, reader->pos, "':' after object key");
          reader->pos++;
          reader->state = ST_VALUE;
          break;
        case ST_OBJECT_NEXT:
          if (c == ',')
            {
              reader->pos++;
              reader->state = ST_OBJECT_KEY;
            }
          else if (c == '}')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else
            return fail_expected (reader, reader->pos, "',' or '}' after object member");
          break;
        case ST_END:
          return fail_expected (reader, reader->pos, "end of input after the value");
        case ST_FAILED:
          return FALSE;
        }
    }
}

/* Keeps what is still needed of the input just parsed (a token cut by the end of the chunk) in
 * reader->buf, and makes that the view. */
static void
keep_tail (SluiceJsonReader *reader, gboolean external)
{
  size_t keep = reader->token != TOKEN_NONE ? reader->token_start : reader->pos;

  if (external)
    g_byte_array_append (reader->buf, reader->data + keep, (guint) (reader->len - keep));
  else if (keep > 0)
    g_byte_array_remove_range (reader->buf, 0, (guint) keep);
  reader->base += keep;
  reader->pos -= keep;
  if (reader->token != TOKEN_NONE)
    {
      reader->token_start -= keep;
      reader->scan -= keep;
    }
  reader->data = reader->buf->data;
  reader->len = reader->buf->len;
}

gboolean
sluice_json_reader_feed (SluiceJsonReader *reader, const void *data, size_t len, GError **error)
{
  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (reader->error == NULL)
    {
      const uint8_t *bytes = data;
      size_t used = 0, step = 64;
      gboolean ok = TRUE;

      /* A token cut by the previous chunk waits in the buffer: it is completed with pieces of
       * this chunk, growing ones so that a long token is copied about twice at most, until the
       * buffer is empty; the rest is parsed straight from the caller's chunk. */
      while (ok && reader->buf->len > 0 && used < len)
        {
          size_t take = MIN (MIN (step, len - used), (size_t) G_MAXINT);

          g_byte_array_append (reader->buf, bytes + used, (guint) take);
          used += take;
          step *= 2;
          reader->data = reader->buf->data;
          reader->len = reader->buf->len;
          ok = parse (reader, FALSE);
          if (ok)
            keep_tail (reader, FALSE);
        }
      if (ok && used < len)
        {
          reader->data = bytes + used;
          reader->len = len - used;
          ok = parse (reader, FALSE);
          if (ok)
            keep_tail (reader, TRUE);
        }
      if (ok)
        return TRUE;
      /* The message is built; the caller's chunk must not be referenced past this call. */
      reader->data = NULL;
      reader->len = 0;
    }
  if (error)
    *error = g_error_copy (reader->error);
  return FALSE;
}

gboolean
sluice_json_reader_finish (SluiceJsonReader *reader, GError **error)
{
  g_return_val_if_fail (reader != NULL, FALSE);

  if (reader->error == NULL && parse (reader, TRUE))
    {
      uint64_t eof = abs_offset (reader, reader->len);

      if (reader->token == TOKEN_STRING)
        fail (reader, eof, "truncated input: unterminated string starting at byte %" G_GUINT64_FORMAT,
              abs_offset (reader, reader->token_start));
      else if (reader->n_frames > 0)
        {
          Frame *top = &reader->frames[reader->n_frames - 1];

          fail (reader, eof, "truncated input: unterminated %s starting at byte %" G_GUINT64_FORMAT,
                top->type == FRAME_OBJECT ? "object" : "array", top->start);
        }
      else if (reader->single && reader->state == ST_TOP)
        fail (reader, eof, "truncated input: expected a value");
      else
        {
          keep_tail (reader, FALSE);
          return TRUE;
        }
    }
  if (error)
    *error = g_error_copy (reader->error);
  return FALSE;
}

SluiceValue *
sluice_json_reader_pop (SluiceJsonReader *reader)
{
  SluiceValue *value;

  g_return_val_if_fail (reader != NULL, NULL);
  if (reader->out_head == reader->n_out)
    return NULL;
  value = reader->out[reader->out_head++];
  if (reader->out_head == reader->n_out)
    reader->out_head = reader->n_out = 0;
  return value;
}

uint64_t
sluice_json_reader_get_offset (const SluiceJsonReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->base + reader->pos;
}

SluiceValue *
sluice_value_from_json (const char *text, gssize len, GError **error)
{
  g_autoptr (SluiceJsonReader) reader = NULL;
  size_t n;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  n = len < 0 ? strlen (text) : (size_t) len;
  reader = reader_new (0, TRUE);
  if (!sluice_json_reader_feed (reader, text, n, error) || !sluice_json_reader_finish (reader, error))
    return NULL;
  return sluice_json_reader_pop (reader);
}
