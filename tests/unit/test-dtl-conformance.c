/* test-dtl-conformance.c — runs every DTL conformance case of tests/fixtures/dtl/dtl-cases.jsonl
 * (a copy of the shared conformance set) under the harness conventions of its README.
 *
 * A case either passes or is listed, with the reason, in tests/fixtures/dtl/deviations.json.  The
 * test fails when an unlisted case fails, and also when a listed case passes (the list must stay
 * true).  It prints the pass count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "dtl-compiler.h"

static char *
fixture_path (const char *name)
{
  const char *srcdir = g_getenv ("SLUICE_TEST_SRCDIR");

  return g_build_filename (srcdir ? srcdir : ".", "tests", "fixtures", "dtl", name, NULL);
}

static SluiceValue *
get (SluiceValue *dict, const char *key)
{
  return sluice_value_dict_lookup (dict, key);
}

static gboolean
is_number (SluiceValue *v)
{
  SluiceValueKind k = sluice_value_get_kind (v);

  return k == SLUICE_VALUE_INTEGER || k == SLUICE_VALUE_FLOAT || k == SLUICE_VALUE_DECIMAL;
}

/* Numbers compare numerically (or within @tolerance); with @type, numbers must also be of it. */
static gboolean
matches (SluiceValue *got, SluiceValue *want, const char *type, double tolerance)
{
  if (is_number (want) && is_number (got))
    {
      if (type != NULL && strcmp (sluice_value_kind_get_name (sluice_value_get_kind (got)), type) != 0)
        return FALSE;
      if (tolerance > 0)
        return fabs (sluice_value_get_float (got) - sluice_value_get_float (want)) <= tolerance;
      return sluice_value_compare (got, want) == 0;
    }
  if (sluice_value_get_kind (got) != sluice_value_get_kind (want))
    return FALSE;
  if (sluice_value_get_kind (want) == SLUICE_VALUE_LIST)
    {
      size_t n = sluice_value_list_get_length (want);

      if (sluice_value_list_get_length (got) != n)
        return FALSE;
      for (size_t i = 0; i < n; i++)
        if (!matches (sluice_value_list_get (got, i), sluice_value_list_get (want, i), type, tolerance))
          return FALSE;
      return TRUE;
    }
  if (sluice_value_get_kind (want) == SLUICE_VALUE_DICT)
    {
      size_t n = sluice_value_dict_get_size (want);

      if (sluice_value_dict_get_size (got) != n)
        return FALSE;
      for (size_t i = 0; i < n; i++)
        {
          SluiceValue *g = get (got, sluice_value_dict_get_key (want, i));

          if (g == NULL || !matches (g, sluice_value_dict_get_value (want, i), type, tolerance))
            return FALSE;
        }
      return TRUE;
    }
  return sluice_value_equal (got, want);
}

static void
settings_from_case (SluiceValue *c, DtlSettings *settings, gboolean id_required)
{
  SluiceValue *config = get (c, "config");

  memset (settings, 0, sizeof *settings);
  settings->pipe_id = "conformance";
  settings->id_required = id_required;
  if (config == NULL)
    return;
  settings->namespaced_identifiers = get (config, "namespaced_identifiers") != NULL
                                     && sluice_value_get_boolean (get (config, "namespaced_identifiers"));
  if (get (config, "namespaces") != NULL)
    {
      SluiceValue *ns = get (config, "namespaces");

      if (get (ns, "identity"))
        settings->identity_namespace = sluice_value_get_string (get (ns, "identity"), NULL);
      if (get (ns, "property"))
        settings->property_namespace = sluice_value_get_string (get (ns, "property"), NULL);
    }
}

static SluiceValue *
without_id (SluiceValue *target)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new ();

  for (size_t i = 0; i < sluice_value_dict_get_size (target); i++)
    if (strcmp (sluice_value_dict_get_key (target, i), "_id") != 0)
      sluice_dict_builder_add (builder, sluice_value_dict_get_key (target, i),
                               sluice_value_dict_get_value (target, i));
  return sluice_dict_builder_end (builder);
}

/* Runs one case; returns NULL when it passes, else what went wrong. */
static char *
run_case (SluiceValue *c)
{
  const char *kind = sluice_value_get_string (get (c, "kind"), NULL);
  SluiceValue *expr = get (c, "expr");
  SluiceValue *source = get (c, "source");
  SluiceValue *expected = get (c, "expected");
  SluiceValue *type_v = get (c, "expected_type");
  SluiceValue *tol_v = get (c, "tolerance");
  const char *type = type_v ? sluice_value_get_string (type_v, NULL) : NULL;
  double tolerance = tol_v ? sluice_value_get_float (tol_v) : 0;
  DtlSettings settings;
  g_autoptr (GError) error = NULL;

  if (strcmp (kind, "expr") == 0)
    {
      g_autoptr (SluiceValue) empty_rules = sluice_value_from_json ("{\"default\": []}", -1, NULL);
      DtlProgram *program;
      DtlNode *node;
      g_autoptr (SluiceValue) got = NULL;
      g_autofree char *got_json = NULL;
      gboolean ok;

      settings_from_case (c, &settings, TRUE);
      program = sluice_dtl_program_compile (empty_rules, &settings, &error);
      g_assert_nonnull (program);
      node = sluice_dtl_program_compile_expression (program, expr, "expr", &error);
      if (node == NULL)
        {
          sluice_dtl_program_free (program);
          return g_strdup_printf ("compile error: %s", error->message);
        }
      got = sluice_dtl_eval_expression (program, node, source, &error);
      sluice_dtl_node_free (node);
      sluice_dtl_program_free (program);
      if (got == NULL)
        return g_strdup_printf ("run error: %s", error->message);
      ok = matches (got, expected, type, tolerance);
      if (ok)
        return NULL;
      got_json = sluice_value_to_json (got);
      return g_strdup_printf ("got %s", got_json);
    }
  else
    {
      SluiceDictBuilder *rules_b = sluice_dict_builder_new ();
      SluiceListBuilder *steps = sluice_list_builder_new ();
      g_autoptr (SluiceValue) rules = NULL;
      SluiceValue *before = get (c, "target_before");
      SluiceValue *emit = get (c, "expected_emit");
      SluiceValue *emitted = get (c, "emitted");
      SluiceValue *expected_error = get (c, "expected_error");
      DtlProgram *program;
      DtlResult result;
      gboolean ran;
      char *failure = NULL;

      sluice_list_builder_add (steps, expr);
      sluice_dict_builder_take (rules_b, "default", sluice_list_builder_end (steps));
      rules = sluice_dict_builder_end (rules_b);
      settings_from_case (c, &settings, FALSE);
      program = sluice_dtl_program_compile (rules, &settings, &error);
      if (program == NULL)
        return g_strdup_printf ("compile error: %s", error->message);
      ran = sluice_dtl_program_run (program, source, before, &result, &error);
      sluice_dtl_program_free (program);
      if (expected_error != NULL)
        {
          if (ran)
            {
              sluice_dtl_result_clear (&result);
              return g_strdup ("expected the run to fail");
            }
          return NULL;
        }
      if (!ran)
        return g_strdup_printf ("run error: %s", error->message);
      if (emit != NULL && !sluice_value_get_boolean (emit))
        {
          if (result.status == DTL_STATUS_CONTINUE)
            failure = g_strdup ("expected no target to be emitted");
        }
      else if (result.status != DTL_STATUS_CONTINUE)
        failure = g_strdup ("the target was filtered or discarded");
      else
        {
          g_autoptr (SluiceValue) got = without_id (result.target);

          if (!matches (got, expected, type, tolerance))
            {
              g_autofree char *got_json = sluice_value_to_json (got);

              failure = g_strdup_printf ("got target %s", got_json);
            }
        }
      if (failure == NULL && emitted != NULL)
        {
          size_t n = sluice_value_list_get_length (emitted);
          guint got_n = result.created ? result.created->len : 0;

          if (got_n != n)
            failure = g_strdup_printf ("created %u entities, expected %zu", got_n, n);
          for (size_t i = 0; failure == NULL && i < n; i++)
            if (!matches (result.created->pdata[i], sluice_value_list_get (emitted, i), NULL, 0))
              failure = g_strdup_printf ("created entity %zu differs", i);
        }
      sluice_dtl_result_clear (&result);
      return failure;
    }
}

static void
test_conformance (void **state)
{
  g_autofree char *cases_path = fixture_path ("dtl-cases.jsonl");
  g_autofree char *deviations_path = fixture_path ("deviations.json");
  g_autofree char *cases_text = NULL;
  g_autofree char *deviations_text = NULL;
  g_autoptr (SluiceValue) deviations = NULL;
  g_auto (GStrv) lines = NULL;
  guint total = 0, passed = 0, deviating = 0, bad = 0;

  g_assert_true (g_file_get_contents (cases_path, &cases_text, NULL, NULL));
  g_assert_true (g_file_get_contents (deviations_path, &deviations_text, NULL, NULL));
  deviations = sluice_value_from_json (deviations_text, -1, NULL);
  g_assert_nonnull (deviations);
  lines = g_strsplit (cases_text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (SluiceValue) c = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *failure = NULL;
      const char *id;
      SluiceValue *reason;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      c = sluice_value_from_json (lines[i], -1, &error);
      g_assert_no_error (error);
      total++;
      id = sluice_value_get_string (get (c, "case"), NULL);
      reason = get (deviations, id);
      failure = run_case (c);
      if (failure == NULL && reason == NULL)
        passed++;
      else if (failure != NULL && reason != NULL)
        deviating++;
      else if (failure == NULL)
        {
          printf ("UNEXPECTED PASS %s: listed in deviations.json but passes\n", id);
          bad++;
        }
      else
        {
          printf ("FAIL %s (%s): %s\n", id, sluice_value_get_string (get (c, "fn"), NULL), failure);
          bad++;
        }
    }
  printf ("DTL conformance: %u passed, %u deviations (listed), of %u cases\n", passed, deviating, total);
  assert_int_equal (bad, 0);
  assert_int_equal (passed + deviating, total);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_conformance),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
