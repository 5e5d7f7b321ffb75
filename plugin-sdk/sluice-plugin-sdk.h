/* sluice-plugin-sdk.h — the umbrella header of sluice-plugin-sdk-1.
 *
 * Plugin authors include only this file:
 *   #include <sluice-plugin-sdk.h>
 * and build with `pkg-config --cflags --libs sluice-plugin-sdk-1`.
 */
#pragma once

#define SLUICE_PLUGIN_SDK_INSIDE
#include "sluice-version.h"
#include "sluice-macros.h"
#include "sluice-flow.h"
#include "sluice-error.h"
#include "sluice-option.h"
#include "sluice-value.h"
#include "sluice-entity.h"
#include "sluice-json.h"
#include "sluice-context.h"
#include "sluice-log.h"
#include "sluice-element.h"
#include "sluice-plugin.h"
#include "sluice-datasets.h"
#undef SLUICE_PLUGIN_SDK_INSIDE
