/* sluice-macros.h — visibility and linkage helpers shared by every SDK header. */
#pragma once

#ifdef __cplusplus
#define SLUICE_BEGIN_DECLS extern "C" {
#define SLUICE_END_DECLS }
#else
#define SLUICE_BEGIN_DECLS
#define SLUICE_END_DECLS
#endif

/* Marks the one symbol a plugin module exports. */
#define SLUICE_PLUGIN_EXPORT __attribute__ ((visibility ("default")))

/* Marks SDK library functions (the library is built with hidden visibility). */
#ifdef SLUICE_SDK_COMPILATION
#define SLUICE_SDK_API __attribute__ ((visibility ("default")))
#else
#define SLUICE_SDK_API
#endif
