/* dtl-compiler.h — compiling DTL (JSON values) into node trees, once, at load time.
 *
 * Every syntax error, unknown function (with the closest known name suggested), wrong argument
 * count and unsupported function is reported here, with the JSON pointer of the offending
 * expression relative to the transform object ("rules/default/2/1: …").
 */
#pragma once

#include "dtl-eval.h"

G_BEGIN_DECLS

/* Compiles `rules` (a dict of rule name -> list of transforms).  The error is
 * SLUICE_DTL_ERROR_COMPILE (or _UNSUPPORTED) and its message starts with the JSON pointer. */
DtlProgram *sluice_dtl_program_compile (SluiceValue *rules, const DtlSettings *settings,
                                        GError **error);
void sluice_dtl_program_free (DtlProgram *program);

/* Compiles one expression against @program (for its rules and namespace settings); @pointer
 * prefixes error messages.  Free the node with sluice_dtl_node_free (). */
DtlNode *sluice_dtl_program_compile_expression (DtlProgram *program, SluiceValue *expr,
                                                const char *pointer, GError **error);
void sluice_dtl_node_free (DtlNode *node);

/* For compile hooks. */
DtlNode *sluice_dtl_compile_expr (DtlCompiler *compiler, SluiceValue *expr, const char *pointer,
                                  GError **error);
DtlNode *sluice_dtl_compile_transform (DtlCompiler *compiler, SluiceValue *expr,
                                       const char *pointer, GError **error);
/* One transform, or a list of transforms (possibly empty): a node whose args are the steps. */
DtlNode *sluice_dtl_compile_block (DtlCompiler *compiler, SluiceValue *value, const char *pointer,
                                   GError **error);
/* The rule named @name, or NULL with an error naming @pointer. */
DtlRule *sluice_dtl_compiler_find_rule (DtlCompiler *compiler, const char *name,
                                        const char *pointer, GError **error);
const DtlProgram *sluice_dtl_compiler_get_program (DtlCompiler *compiler);
/* Fills node->args from the call's arguments [first, n) compiled as expressions; the other
 * slots stay NULL. */
gboolean sluice_dtl_compile_args (DtlCompiler *compiler, DtlNode *node, SluiceValue *call,
                                  const char *pointer, guint first, GError **error);

/* The function tables, for documentation and tests: the entry for @name or NULL. */
const DtlFunction *sluice_dtl_lookup_function (const char *name, gboolean transform);

G_END_DECLS
