/* test-tree.h — removing a test's temporary directory tree. */
#pragma once

/* Removes @path and everything below it; missing files are no error. */
void sluice_test_remove_tree (const char *path);
