/*-------------------------------------------------------------------------
 * compat.h
 *	  Every PostgreSQL-version difference auditlog_fdw cares about, in one
 *	  place, so function bodies stay free of #if PG_VERSION_NUM.
 *
 * Built and tested on 15; the shims keep 13-17 within reach.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_COMPAT_H
#define ALF_COMPAT_H

#include "postgres.h"

#include "storage/latch.h"
#include "utils/datetime.h"

#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#define alf_random_fraction() pg_prng_double(&pg_global_prng_state)
#else
#define alf_random_fraction() ((double) random() / (double) MAX_RANDOM_VALUE)
#endif

/* PG 17 tracks wait event sets by resource owner instead of memory context */
#if PG_VERSION_NUM >= 170000
#define alf_create_wait_event_set(nevents) CreateWaitEventSet(NULL, (nevents))
#else
#define alf_create_wait_event_set(nevents) CreateWaitEventSet(CurrentMemoryContext, (nevents))
#endif

/*
 * Asynchronous Append (PG 14+) needs one descriptor per scan that becomes
 * readable when curl has work; it is an epoll set of curl's sockets plus a
 * timerfd (Linux).  Elsewhere, or before 14, scans are never async-capable.
 */
#if PG_VERSION_NUM >= 140000 && defined(__linux__)
#define ALF_HAVE_ASYNC_APPEND 1
#endif

/* Does the executor run this scan under an asynchronous Append? */
#if PG_VERSION_NUM >= 140000
#define alf_node_async(node) ((node)->ss.ps.async_capable)
#else
#define alf_node_async(node) false
#endif

/* PG 16 renamed the ACL check helper */
#if PG_VERSION_NUM >= 160000
#define alf_object_aclcheck(classid, objid, roleid, mode) \
	object_aclcheck((classid), (objid), (roleid), (mode))
#else
#define alf_object_aclcheck(classid, objid, roleid, mode) \
	pg_foreign_server_aclcheck((objid), (roleid), (mode))
#endif

/* The role a foreign scan runs as (PG 16 moved it into the plan node). */
#if PG_VERSION_NUM >= 160000
#define alf_scan_user_id(fsplan, estate) \
	(OidIsValid((fsplan)->checkAsUser) ? (fsplan)->checkAsUser : GetUserId())
#else
#define alf_scan_user_id(fsplan, estate) \
	(exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser ? \
	 exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser : GetUserId())
#endif

/*
 * PG 15 added shmem_request_hook, and requests for shared memory must be
 * made there; before 15, _PG_init makes them directly.
 */
#if PG_VERSION_NUM >= 150000
#define ALF_SHMEM_REQUEST_HOOK 1
#endif

/* PG 15 renamed EmitWarningsOnPlaceholders */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* PG 16 added a DateTimeErrorExtra argument for soft error reports */
static inline int
alf_decode_date_time(char **field, int *ftype, int nf, int *dtype,
					 struct pg_tm *tm, fsec_t *fsec, int *tzp)
{
#if PG_VERSION_NUM >= 160000
	DateTimeErrorExtra extra;

	return DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tzp, &extra);
#else
	return DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tzp);
#endif
}

#endif							/* ALF_COMPAT_H */
