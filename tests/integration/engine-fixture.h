/* engine-fixture.h — the in-process engine of the integration tests (see engine-fixture.c).
 * Use engine_fixture_setup and engine_fixture_teardown as cmocka setup and teardown; the state is
 * an EngineFixture *. */
#pragma once

#include "sluice-engine.h"

typedef struct
{
  char *dir;
  SluiceRegistry *registry;
  SluiceStoreBackend *store;
  SluiceEngine *engine; /* the last one built */
} EngineFixture;

int engine_fixture_setup (void **state);
/* Loads one more plugin module, @relative to the build directory ("plugins/sluice-file.so"). */
void engine_fixture_load_plugin (SluiceRegistry *registry, const char *relative);
int engine_fixture_teardown (void **state);

/* Builds the engine from @json (a configuration file's text); FALSE with @error on problems,
 * which are also formatted into @ret_problems when given. */
gboolean engine_fixture_try_build (EngineFixture *f, const char *json, char **ret_problems,
                                   GError **error);
/* As engine_fixture_try_build, failing the test on problems. */
void engine_fixture_build (EngineFixture *f, const char *json);
/* Runs @pipe_id to its end and checks that it succeeded or failed as expected; the stats. */
SluiceRunStats *engine_fixture_run (EngineFixture *f, const char *pipe_id, SluiceRunType run_type,
                                    gboolean expect_success);
SluiceDatasetInfo *engine_fixture_dataset_info (EngineFixture *f, const char *dataset);
/* Every version of @dataset (or only the latest ones) as lines "<offset> <body JSON>". */
char *engine_fixture_dump (EngineFixture *f, const char *dataset, gboolean history);
/* Appends entities {_id: "e<i>", n: i, value: @value} for i in [@from, @to) to @dataset, as
 * another pipe would. */
void engine_fixture_append (EngineFixture *f, const char *dataset, int from, int to,
                            const char *value);
