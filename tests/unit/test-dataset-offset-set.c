/* test-dataset-offset-set.c — the offset set of deletion tracking (plugins/dataset/
 * dataset-offset-set.c): membership across blocks, the change from a list to a bitmap, and what a
 * member costs, sparse and dense. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dataset-offset-set.h"

static void
test_membership (void **state)
{
  g_autoptr (DatasetOffsetSet) set = dataset_offset_set_new ();
  const int64_t members[] = { 0, 1, 65535, 65536, 1000000, (int64_t)1 << 40, 7, 7 };

  for (size_t i = 0; i < G_N_ELEMENTS (members); i++)
    dataset_offset_set_add (set, members[i]);
  dataset_offset_set_add (set, -1);
  for (size_t i = 0; i < G_N_ELEMENTS (members); i++)
    assert_true (dataset_offset_set_contains (set, members[i]));
  assert_false (dataset_offset_set_contains (set, 2));
  assert_false (dataset_offset_set_contains (set, 65537));
  assert_false (dataset_offset_set_contains (set, 999999));
  assert_false (dataset_offset_set_contains (set, ((int64_t)1 << 40) + 1));
  assert_false (dataset_offset_set_contains (set, -1));
  /* Adding after a lookup (which sorts a block) still works. */
  dataset_offset_set_add (set, 3);
  assert_true (dataset_offset_set_contains (set, 3));
  assert_true (dataset_offset_set_contains (set, 65535));
}

/* One block filled in a scattered order past the list limit: every member is found, every
 * non-member is not, and the block costs 8 KiB however full it is. */
static void
test_list_becomes_bitmap (void **state)
{
  g_autoptr (DatasetOffsetSet) set = dataset_offset_set_new ();

  for (int64_t i = 0; i < 10000; i++)
    dataset_offset_set_add (set, (i * 7919) % 65536); /* 7919 is prime: distinct positions */
  for (int64_t i = 0; i < 10000; i++)
    assert_true (dataset_offset_set_contains (set, (i * 7919) % 65536));
  assert_false (dataset_offset_set_contains (set, (10000 * 7919) % 65536));
  assert_int_equal (dataset_offset_set_get_member_bytes (set), 8192);
}

/* Sparse members cost about 2 bytes each; a dense range 1 bit each. */
static void
test_member_cost (void **state)
{
  g_autoptr (DatasetOffsetSet) sparse = dataset_offset_set_new ();
  g_autoptr (DatasetOffsetSet) dense = dataset_offset_set_new ();

  for (int64_t i = 0; i < 100000; i++)
    dataset_offset_set_add (sparse, i * 1000);
  assert_true (dataset_offset_set_get_member_bytes (sparse) <= 100000 * 2 * 2);
  for (int64_t i = 0; i < 1000000; i++)
    dataset_offset_set_add (dense, i);
  assert_int_equal (dataset_offset_set_get_member_bytes (dense), (1000000 / 65536 + 1) * 8192);
  assert_true (dataset_offset_set_contains (dense, 999999));
  assert_false (dataset_offset_set_contains (dense, 1000000));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_membership),
    cmocka_unit_test (test_list_becomes_bitmap),
    cmocka_unit_test (test_member_cost),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
