/* dataset-offset-set.h — a set of dataset offsets, as compact as the offsets are dense.
 *
 * Deletion tracking remembers the offset of the latest version of every entity a full run wrote
 * or kept.  Those offsets lie anywhere between 0 and the dataset's next offset, which only grows:
 * a plain bitmap over that range would grow with the dataset's whole history, and a list of
 * offsets costs 8 bytes each.  The set splits the offsets into blocks of 65,536: a block holds
 * its members as a list of 16-bit positions until it has 4,096 of them, then as a bitmap of 8 KiB.
 * So a member costs at most 2 bytes, and 1 bit where a run covers most offsets of a block (a
 * dataset written once).  docs/decisions/0008.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct _DatasetOffsetSet DatasetOffsetSet;

DatasetOffsetSet *dataset_offset_set_new (void);
void dataset_offset_set_free (DatasetOffsetSet *set);
/* Negative offsets are ignored. */
void dataset_offset_set_add (DatasetOffsetSet *set, int64_t offset);
gboolean dataset_offset_set_contains (DatasetOffsetSet *set, int64_t offset);
/* Bytes held by the members (not counting the block table), for tests and figures. */
size_t dataset_offset_set_get_member_bytes (DatasetOffsetSet *set);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DatasetOffsetSet, dataset_offset_set_free)
