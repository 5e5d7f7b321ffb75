/* dtl-plan.c — mapping rules compiled to a fixed output layout (see dtl-plan.h). */
#include "dtl-plan.h"

#include <string.h>

/* The stack holds the values of plans up to this size; larger ones allocate. */
#define PLAN_STACK_VALUES 32

typedef struct
{
  const char *key;     /* the program's own string */
  size_t key_len;
  const DtlNode *expr; /* `add`: the value; NULL for `copy` */
} PlanStep;

struct _DtlPlan
{
  guint n;
  SluiceDictKeys *keys;
  size_t *hints; /* per `copy` step: where the key was last found in the source */
  PlanStep steps[];
};

/* Whether evaluating @node could observe the target being built. */
static gboolean
sees_target (const DtlNode *node)
{
  if (node == NULL)
    return FALSE;
  if (node->path != NULL
      && (node->path->var == DTL_VAR_T || node->path->var == DTL_VAR_P || node->path->var == DTL_VAR_R))
    return TRUE;
  if (node->fn != NULL && strcmp (node->fn->name, "apply") == 0)
    return TRUE;
  for (guint i = 0; i < node->n_args; i++)
    if (sees_target (node->args[i]))
      return TRUE;
  return FALSE;
}

DtlPlan *
sluice_dtl_plan_new (const DtlProgram *program, const DtlRule *rule)
{
  g_autofree const char **keys = NULL;
  DtlPlan *plan;

  if (program->namespaced || rule->n_steps == 0)
    return NULL;
  plan = g_malloc0 (sizeof (DtlPlan) + rule->n_steps * sizeof (PlanStep));
  plan->n = rule->n_steps;
  keys = g_new (const char *, rule->n_steps);
  for (guint i = 0; i < rule->n_steps; i++)
    {
      const DtlNode *step = rule->steps[i];
      PlanStep *p = &plan->steps[i];

      /* `add` and `copy` set node->data to their key only when it is a constant plain name. */
      if (step->fn == NULL || step->data == NULL)
        goto no_plan;
      if (strcmp (step->fn->name, "add") == 0 && step->n_args == 2 && !sees_target (step->args[1]))
        p->expr = step->args[1];
      else if (strcmp (step->fn->name, "copy") != 0 || step->n_args != 1)
        goto no_plan;
      p->key = step->data;
      p->key_len = strlen (p->key);
      keys[i] = p->key;
    }
  /* Fails when a name repeats: a later step would replace an earlier value in place, which the
   * general path handles. */
  plan->keys = sluice_dict_keys_new (keys, plan->n, NULL);
  if (plan->keys == NULL)
    goto no_plan;
  plan->hints = g_new0 (size_t, plan->n);
  return plan;

no_plan:
  sluice_dtl_plan_free (plan);
  return NULL;
}

void
sluice_dtl_plan_free (DtlPlan *plan)
{
  if (plan == NULL)
    return;
  sluice_dict_keys_free (plan->keys);
  g_free (plan->hints);
  g_free (plan);
}

SluiceValue *
sluice_dtl_plan_run (DtlEval *ev, DtlPlan *plan)
{
  /* values[i] is borrowed; owned[i] is the reference to drop afterwards, if any.  Borrowing
   * values from the source and letting the dict copy the small ones avoids all reference
   * counting of shared values (atomic operations) on this path. */
  SluiceValue *stack[2 * PLAN_STACK_VALUES];
  SluiceValue **values = plan->n <= PLAN_STACK_VALUES ? stack : g_new (SluiceValue *, 2 * plan->n);
  SluiceValue **owned = values + plan->n;
  SluiceValue *source = ev->scope->source;
  gboolean source_is_dict = sluice_value_get_kind (source) == SLUICE_VALUE_DICT;
  gboolean complete = TRUE;
  SluiceValue *result = NULL;
  guint done;

  for (done = 0; done < plan->n; done++)
    {
      const PlanStep *p = &plan->steps[done];

      if (p->expr != NULL)
        values[done] = sluice_dtl_eval_borrowed (ev, p->expr, &owned[done]);
      else
        {
          /* `copy` of a name the source does not have adds nothing. */
          values[done] = source_is_dict ? sluice_value_dict_lookup_hinted (source, p->key,
                                                                           (gssize) p->key_len,
                                                                           &plan->hints[done])
                                        : NULL;
          owned[done] = NULL;
          complete = complete && values[done] != NULL;
        }
      if (ev->error != NULL)
        {
          done++;
          goto out;
        }
    }
  if (complete)
    result = sluice_value_new_dict_with_keys_borrowed (plan->keys, values);
  else
    {
      SluiceDictBuilder *builder = sluice_dict_builder_new_sized (plan->n);

      for (guint i = 0; i < plan->n; i++)
        if (values[i] != NULL)
          sluice_dict_builder_add (builder, plan->steps[i].key, values[i]);
      result = sluice_dict_builder_end (builder);
    }

out:
  for (guint i = 0; i < done; i++)
    sluice_value_unref (owned[i]);
  if (values != stack)
    g_free (values);
  return result;
}
