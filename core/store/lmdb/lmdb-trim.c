/* lmdb-trim.c — dropping the resident pages of the map, so that the resident size of the process
 * does not grow with the data it has read (docs/store.md, "Resident memory"; the measurements are
 * in docs/decisions/0008).  It reads /proc and calls madvise, and is called only by threads that
 * use the map (lmdb-map.c's map_leave, and a long id scan), so the map cannot move meanwhile. */
#include "lmdb-private.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define TRIM_CHECK_US (5 * 1000)         /* how often the resident size is looked at */
#define TRIM_BUDGET ((uint64_t)16 << 20) /* resident map pages allowed before a trim */

/* The address of LMDB's map of the data file, from /proc/self/maps: LMDB reports it only for a
 * fixed map.  NULL when it is not found. */
static void *
find_map (LmdbBackend *self)
{
  g_autofree char *maps = NULL;
  char *line, *next;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return NULL;
  for (line = maps; line != NULL && *line != '\0'; line = next)
    {
      unsigned long start, end, offset, ino;
      unsigned int dev_major, dev_minor;
      char perms[5];

      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      if (sscanf (line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, perms, &offset, &dev_major,
                  &dev_minor, &ino)
              == 7
          && ino == self->file_ino && offset == 0 && dev_major == major (self->file_dev)
          && dev_minor == minor (self->file_dev))
        return (void *)(uintptr_t)start;
    }
  return NULL;
}

/* Resident file-backed (shared) bytes of this process, from /proc/self/statm; 0 when unknown. */
static uint64_t
resident_shared (void)
{
  char buf[256];
  unsigned long size, resident, shared;
  ssize_t n;
  int fd = open ("/proc/self/statm", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  if (sscanf (buf, "%lu %lu %lu", &size, &resident, &shared) != 3)
    return 0;
  return (uint64_t)shared * (uint64_t)sysconf (_SC_PAGESIZE);
}

/* LMDB reads through a shared, read-only map of the file, and every page a transaction touched
 * stays mapped, so the resident size of the process grows with the data it has read although those
 * pages are page cache the kernel could drop (docs/decisions/0008).  Every TRIM_CHECK_US the
 * resident shared size is looked at, and when it grew by more than TRIM_BUDGET since the last trim,
 * the mapping of the used part of the file is dropped: the pages stay in the page cache, and the
 * next access to one is a minor fault, not a read.  Called by a thread that uses the map (between
 * map_enter and map_leave), so the map cannot move meanwhile. */
void
sluice_lmdb_trim_map (LmdbBackend *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 last = __atomic_load_n (&self->last_trim, __ATOMIC_RELAXED);
  MDB_envinfo info;
  MDB_stat stat;
  uint64_t shared;

  if (now - last < TRIM_CHECK_US
      || !__atomic_compare_exchange_n (&self->last_trim, &last, now, FALSE, __ATOMIC_RELAXED,
                                       __ATOMIC_RELAXED))
    return;
  if (!g_mutex_trylock (&self->trim_lock))
    return;
  shared = resident_shared ();
  if ((shared != 0 && shared < self->shared_floor + TRIM_BUDGET)
      || mdb_env_info (self->env, &info) != 0 || mdb_env_stat (self->env, &stat) != 0)
    {
      g_mutex_unlock (&self->trim_lock);
      return;
    }
  if (self->map_found_size != info.me_mapsize)
    {
      self->map_addr = find_map (self);
      self->map_found_size = info.me_mapsize;
    }
  if (self->map_addr != NULL)
    {
      madvise (self->map_addr,
               MIN ((info.me_last_pgno + 1) * (size_t)stat.ms_psize, info.me_mapsize),
               MADV_DONTNEED);
      /* What stays resident now (libraries, other files) is the floor of the next budget. */
      self->shared_floor = resident_shared ();
    }
  g_mutex_unlock (&self->trim_lock);
}
