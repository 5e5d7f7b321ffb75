/* sluice-value-arena.c — whole value trees in one allocation, for the entities the decoders hand
 * out (docs/decisions/0007-dtl-dense-values.md).
 *
 * A tree built node by node costs one malloc per value, and its nodes land wherever the allocator
 * puts them: a transform reading a few fields of an entity touches many scattered cache lines,
 * and freeing it walks every node.  An arena block holds the whole tree, in pre-order (a dict's
 * entries and key text, then its first child and that child's own subtree, …), so that a reader
 * walks forward through one range that can be prefetched as a whole.
 *
 * Layout: every node is preceded by one pointer-sized slot.  The first node is the root: an
 * ordinary reference-counted value flagged VALUE_FLAG_ARENA, whose slot holds the block's size.
 * Every later node is an embedded value (VALUE_FLAG_EMBEDDED) whose slot points to the root, so a
 * reference to any node of the tree is a reference to the root, as for the small values
 * sluice_value_new_dict_with_keys_borrowed () embeds.  Readers see ordinary immutable values.
 */
#include "sluice-value-private.h"

#include <string.h>

void
sluice_arena_init (SluiceArena *arena, size_t size)
{
  arena->block = g_malloc (size);
  arena->size = size;
  arena->used = 0;
  arena->root = NULL;
}

void
sluice_arena_discard (SluiceArena *arena)
{
  g_clear_pointer (&arena->block, g_free);
  arena->root = NULL;
}

SluiceValue *
sluice_arena_alloc (SluiceArena *arena, SluiceValueKind kind, size_t extra)
{
  size_t size = sluice_arena_node_size (extra);
  char *slot = arena->block + arena->used;
  SluiceValue *value = (SluiceValue *) (slot + sizeof (void *));

  /* The sizes were computed beforehand: running out is a bug of the caller, not bad input. */
  g_assert (arena->used + size <= arena->size);
  arena->used += size;
  value->kind = (uint16_t) kind;
  if (arena->root == NULL)
    {
      *(size_t *) slot = arena->size;
      value->ref_count = 1;
      value->flags = VALUE_FLAG_ARENA;
      arena->root = value;
    }
  else
    {
      *(SluiceValue **) slot = arena->root;
      value->ref_count = 0;
      value->flags = VALUE_FLAG_EMBEDDED;
    }
  return value;
}

SluiceValue *
sluice_arena_new_text (SluiceArena *arena, SluiceValueKind kind, const char *str, size_t len)
{
  SluiceValue *value = sluice_arena_alloc (arena, kind, len + 1);
  char *data = (char *) (value + 1);

  if (len > 0)
    memcpy (data, str, len);
  data[len] = '\0';
  value->u.str.data = data;
  value->u.str.len = len;
  value->u.str.decimal = NULL;
  return value;
}

SluiceValue *
sluice_arena_new_decimal (SluiceArena *arena, const char *text, size_t len)
{
  SluiceValue *value = sluice_arena_alloc (arena, SLUICE_VALUE_DECIMAL, sluice_decimal_payload_size (len));

  return sluice_value_fill_decimal (value, text, len) ? value : NULL;
}

SluiceValue *
sluice_arena_new_dict (SluiceArena *arena, size_t n, size_t key_bytes, char **ret_key_data)
{
  SluiceValue *value = sluice_arena_alloc (arena, SLUICE_VALUE_DICT, sluice_dict_payload_size (n, key_bytes));
  SluiceDictEntry *entries = (SluiceDictEntry *) (value + 1);
  gboolean indexed = n > SLUICE_DICT_INDEX_THRESHOLD;

  value->u.dict.entries = entries;
  value->u.dict.len = n;
  value->u.dict.sorted = indexed ? (uint32_t *) (entries + n) : NULL;
  *ret_key_data = (char *) (entries + n) + (indexed ? n * sizeof (uint32_t) : 0);
  return value;
}

gboolean
sluice_arena_dict_finish (SluiceValue *dict)
{
  const SluiceDictEntry *entries = dict->u.dict.entries;
  size_t n = dict->u.dict.len;

  if (dict->u.dict.sorted == NULL)
    {
      for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
          if (sluice_dict_entry_matches (&entries[j], entries[i].key, entries[i].key_len,
                                         entries[i].key_prefix))
            return FALSE;
      return TRUE;
    }
  sluice_dict_sort_positions (entries, dict->u.dict.sorted, n);
  for (size_t i = 1; i < n; i++)
    {
      const SluiceDictEntry *a = &entries[dict->u.dict.sorted[i - 1]];
      const SluiceDictEntry *b = &entries[dict->u.dict.sorted[i]];

      if (a->key_len == b->key_len && memcmp (a->key, b->key, a->key_len) == 0)
        return FALSE;
    }
  return TRUE;
}

/* Compacting copies. */

/* The payload bytes of @value's own node (not its children's). */
static size_t
payload_size (const SluiceValue *value)
{
  switch (value->kind)
    {
    case SLUICE_VALUE_STRING:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_UUID:
    case SLUICE_VALUE_BYTES:
      return value->u.str.len + 1;
    case SLUICE_VALUE_DECIMAL:
      return sluice_decimal_payload_size (value->u.str.len);
    case SLUICE_VALUE_LIST:
      return value->u.list.len * sizeof (SluiceValue *);
    case SLUICE_VALUE_DICT:
      {
        size_t key_bytes = 0;

        for (size_t i = 0; i < value->u.dict.len; i++)
          key_bytes += value->u.dict.entries[i].key_len + 1;
        return sluice_dict_payload_size (value->u.dict.len, key_bytes);
      }
    default:
      return 0;
    }
}

static size_t
tree_size (const SluiceValue *value)
{
  size_t size;

  if (value->flags & VALUE_FLAG_STATIC)
    return 0;
  size = sluice_arena_node_size (payload_size (value));
  if (value->kind == SLUICE_VALUE_LIST)
    for (size_t i = 0; i < value->u.list.len; i++)
      size += tree_size (value->u.list.items[i]);
  else if (value->kind == SLUICE_VALUE_DICT)
    for (size_t i = 0; i < value->u.dict.len; i++)
      size += tree_size (value->u.dict.entries[i].value);
  return size;
}

SluiceValue *
sluice_arena_copy_scalar (SluiceArena *arena, const SluiceValue *value)
{
  SluiceValue *copy;

  switch (value->kind)
    {
    case SLUICE_VALUE_STRING:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_UUID:
    case SLUICE_VALUE_BYTES:
      return sluice_arena_new_text (arena, value->kind, value->u.str.data, value->u.str.len);
    case SLUICE_VALUE_DECIMAL:
      copy = sluice_arena_new_decimal (arena, value->u.str.data, value->u.str.len);
      g_assert (copy != NULL); /* its text was a valid decimal already */
      copy->flags |= value->flags & VALUE_FLAG_BIG_INTEGER;
      return copy;
    default:
      /* Integers, floats and datetimes: the node itself is the whole value. */
      copy = sluice_arena_alloc (arena, value->kind, 0);
      copy->flags |= value->flags & VALUE_FLAG_DATE;
      copy->u = value->u;
      return copy;
    }
}

static SluiceValue *
copy_tree (SluiceArena *arena, SluiceValue *value)
{
  SluiceValue *copy;

  if (value->flags & VALUE_FLAG_STATIC)
    return value;
  switch (value->kind)
    {
    case SLUICE_VALUE_LIST:
      {
        SluiceValue **items;

        copy = sluice_arena_alloc (arena, SLUICE_VALUE_LIST, payload_size (value));
        items = (SluiceValue **) (copy + 1);
        copy->u.list.items = items;
        copy->u.list.len = value->u.list.len;
        for (size_t i = 0; i < value->u.list.len; i++)
          items[i] = copy_tree (arena, value->u.list.items[i]);
        return copy;
      }
    case SLUICE_VALUE_DICT:
      {
        size_t n = value->u.dict.len, key_bytes = 0;
        const SluiceDictEntry *from = value->u.dict.entries;
        SluiceDictEntry *to;
        char *key_data;

        for (size_t i = 0; i < n; i++)
          key_bytes += from[i].key_len + 1;
        copy = sluice_arena_new_dict (arena, n, key_bytes, &key_data);
        to = copy->u.dict.entries;
        /* Entries and keys first, so that the dict's own bytes stay together before its
         * children's. */
        for (size_t i = 0; i < n; i++)
          {
            memcpy (key_data, from[i].key, from[i].key_len + 1);
            to[i].key = key_data;
            to[i].key_len = from[i].key_len;
            to[i].key_prefix = from[i].key_prefix;
            key_data += from[i].key_len + 1;
          }
        if (copy->u.dict.sorted != NULL)
          memcpy (copy->u.dict.sorted, value->u.dict.sorted, n * sizeof (uint32_t));
        for (size_t i = 0; i < n; i++)
          to[i].value = copy_tree (arena, from[i].value);
        return copy;
      }
    default:
      return sluice_arena_copy_scalar (arena, value);
    }
}

SluiceValue *
sluice_value_dup_compact (SluiceValue *value)
{
  SluiceArena arena;
  SluiceValue *root;

  if ((value->kind != SLUICE_VALUE_LIST && value->kind != SLUICE_VALUE_DICT)
      || (value->flags & (VALUE_FLAG_ARENA | VALUE_FLAG_STATIC)))
    return sluice_value_ref (value);
  sluice_arena_init (&arena, tree_size (value));
  root = copy_tree (&arena, value);
  g_assert (root == arena.root && arena.used == arena.size);
  return root;
}

/* Public. */

void
sluice_value_prefetch (const SluiceValue *value)
{
  const char *start, *end;

  if (value == NULL)
    return;
  if (value->flags & VALUE_FLAG_EMBEDDED)
    value = sluice_value_embedded_parent (value);
  if (value->flags & VALUE_FLAG_ARENA)
    {
      /* The whole block, up to a bound: a huge entity would only evict what the caller needs. */
      start = (const char *) value - sizeof (void *);
      end = start + MIN (*(const size_t *) start, 4096);
    }
  else
    {
      start = (const char *) value;
      end = start + sizeof (SluiceValue);
      if (value->kind == SLUICE_VALUE_DICT)
        end = (const char *) (value->u.dict.entries + MIN (value->u.dict.len, 8));
    }
  for (const char *p = start; p < end; p += 64)
    __builtin_prefetch (p, 0, 3);
}
