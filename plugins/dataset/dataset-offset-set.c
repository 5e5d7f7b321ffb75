/* dataset-offset-set.c — blocks of 65,536 offsets, each a list of positions or a bitmap (see
 * dataset-offset-set.h). */
#include "dataset-offset-set.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_BITS 16
#define BLOCK_SIZE (1u << BLOCK_BITS)
#define LIST_MAX 4096 /* a list of 4,096 positions is as large as the bitmap: 8 KiB */

typedef struct
{
  uint16_t *list;  /* positions, unsorted until a lookup sorts them; NULL once a bitmap */
  uint32_t n_list;
  uint32_t list_cap;
  gboolean sorted;
  uint64_t *bits;  /* BLOCK_SIZE bits, or NULL while a list */
} Block;

struct _DatasetOffsetSet
{
  GHashTable *blocks; /* block number (boxed uint64) -> Block */
};

static void
block_free (gpointer data)
{
  Block *b = data;

  g_free (b->list);
  g_free (b->bits);
  g_free (b);
}

DatasetOffsetSet *
dataset_offset_set_new (void)
{
  DatasetOffsetSet *set = g_new0 (DatasetOffsetSet, 1);

  set->blocks = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, block_free);
  return set;
}

void
dataset_offset_set_free (DatasetOffsetSet *set)
{
  if (set == NULL)
    return;
  g_hash_table_destroy (set->blocks);
  g_free (set);
}

static void
set_bit (Block *b, uint32_t pos)
{
  b->bits[pos / 64] |= (uint64_t)1 << (pos % 64);
}

static void
to_bitmap (Block *b)
{
  b->bits = g_new0 (uint64_t, BLOCK_SIZE / 64);
  for (uint32_t i = 0; i < b->n_list; i++)
    set_bit (b, b->list[i]);
  g_clear_pointer (&b->list, g_free);
  b->n_list = b->list_cap = 0;
}

/* The block of @offset (≥ 0) and the offset's position in it; with @create a missing block is
 * made, else NULL is returned for it. */
static Block *
block_of (DatasetOffsetSet *set, int64_t offset, uint16_t *ret_pos, gboolean create)
{
  gint64 number = offset >> BLOCK_BITS;
  Block *b = g_hash_table_lookup (set->blocks, &number);

  *ret_pos = (uint16_t)(offset & (BLOCK_SIZE - 1));
  if (b == NULL && create)
    {
      b = g_new0 (Block, 1);
      g_hash_table_insert (set->blocks, g_memdup2 (&number, sizeof number), b);
    }
  return b;
}

void
dataset_offset_set_add (DatasetOffsetSet *set, int64_t offset)
{
  uint16_t pos;
  Block *b;

  if (offset < 0)
    return;
  b = block_of (set, offset, &pos, TRUE);
  if (b->bits != NULL)
    {
      set_bit (b, pos);
      return;
    }
  /* A duplicate in the list costs 2 bytes and changes no answer: not worth a search here. */
  if (b->n_list == LIST_MAX)
    {
      to_bitmap (b);
      set_bit (b, pos);
      return;
    }
  if (b->n_list == b->list_cap)
    {
      b->list_cap = MAX (16, b->list_cap * 2);
      b->list = g_renew (uint16_t, b->list, b->list_cap);
    }
  b->list[b->n_list++] = pos;
  b->sorted = FALSE;
}

static int
compare_positions (const void *a, const void *b)
{
  return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

gboolean
dataset_offset_set_contains (DatasetOffsetSet *set, int64_t offset)
{
  uint16_t pos;
  Block *b;

  if (offset < 0)
    return FALSE;
  b = block_of (set, offset, &pos, FALSE);
  if (b == NULL)
    return FALSE;
  if (b->bits != NULL)
    return (b->bits[pos / 64] >> (pos % 64)) & 1;
  if (!b->sorted)
    {
      qsort (b->list, b->n_list, sizeof (uint16_t), compare_positions);
      b->sorted = TRUE;
    }
  return bsearch (&pos, b->list, b->n_list, sizeof (uint16_t), compare_positions) != NULL;
}

size_t
dataset_offset_set_get_member_bytes (DatasetOffsetSet *set)
{
  GHashTableIter iter;
  gpointer value;
  size_t bytes = 0;

  g_hash_table_iter_init (&iter, set->blocks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Block *b = value;

      bytes += b->bits != NULL ? BLOCK_SIZE / 8 : b->list_cap * sizeof (uint16_t);
    }
  return bytes;
}
