/* dtl-plan.h — mapping rules compiled to a fixed output layout.
 *
 * Most rules only map properties: ["copy", "_id"], ["add", "name", EXPR], … with constant,
 * distinct names.  For such a rule the output keys and their order are known when the rule is
 * compiled, so a run evaluates each property into an array and builds the output dict in one step
 * from a prepared SluiceDictKeys, with no mutable target at all.  A rule qualifies only when that
 * cannot change what it produces: no other transform function, no namespaced identifiers, and no
 * expression that can see the target (`_T`, `_P`, `_R`, or `apply`, whose rule can read `_P`).
 */
#pragma once

#include "dtl-eval.h"

G_BEGIN_DECLS

/* The plan of @rule, or NULL when the rule does not qualify.  Call after its steps are compiled. */
DtlPlan *sluice_dtl_plan_new (const DtlProgram *program, const DtlRule *rule);
void sluice_dtl_plan_free (DtlPlan *plan);

/* Runs @plan on ev->scope->source: returns the target (owned), or NULL when an expression failed
 * (ev->error is then set). */
SluiceValue *sluice_dtl_plan_run (DtlEval *ev, DtlPlan *plan);

G_END_DECLS
