/*-------------------------------------------------------------------------
 * token_cache.h
 *	  A backend-lifetime cache of vendor access tokens and sessions.
 *
 * Why: some vendors limit how often a token may be minted (Zoho: 10
 * refreshes per 10 minutes) or charge a login per session (Zscaler), so a
 * token must outlive the scan that obtained it.
 *
 * An entry is keyed by (foreign server oid, user oid, endpoint, kind):
 * endpoint is the URL the token was obtained from (a token endpoint, or
 * base_url for a login), so a changed endpoint never reuses a token minted
 * by another; kind is the vendor's own string: what sort of token it is and
 * anything else the token depends on.  The value is the token text and
 * the instant until which it may be used.  Entries live in TopMemoryContext
 * and are wiped (zeroed) when dropped.
 *
 * An entry is dropped:
 *	- by alf_token_cache_get once its valid_until has passed;
 *	- by alf_token_cache_put of the same key (the old one is replaced);
 *	- by alf_token_cache_forget;
 *	- after any change to a foreign server (that server's entries) or to any
 *	  user mapping (all entries), via syscache invalidation.  The callback
 *	  only marks entries; they are dropped at the next call of any function
 *	  here, outside the invalidation machinery;
 *	- at backend exit (before_shmem_exit).
 *
 * The optional release hook of an entry is called whenever it is dropped,
 * with the token and the arg given to put (which must outlive the entry:
 * static data or TopMemoryContext).  Use it to end a vendor session (e.g. a
 * logout).  Contract for release:
 *	- it runs in a short-lived memory context, deleted afterwards;
 *	- during normal operation an error it raises propagates to the caller
 *	  (the entry is already gone), so prefer to report and swallow failures;
 *	- at backend exit it runs with interrupts held, and an error it raises
 *	  is logged and otherwise ignored: keep it short (a small timeout).
 *
 * Callers must never log or show a token.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_TOKEN_CACHE_H
#define ALF_TOKEN_CACHE_H

#include "postgres.h"

#include "datatype/timestamp.h"

typedef void (*AlfTokenReleaseFn) (const char *token, void *arg);

/*
 * A still valid token for the key, as a palloc'd copy in the current
 * memory context, or NULL.  Never throws except out of memory (and what a
 * release hook of a dropped entry raises).
 */
extern char *alf_token_cache_get(Oid serverid, Oid userid, const char *endpoint,
								 const char *kind);

/*
 * Store token until valid_until (callers subtract their safety margin),
 * replacing (and releasing) any entry of the same key.
 */
extern void alf_token_cache_put(Oid serverid, Oid userid, const char *endpoint,
								const char *kind,
								const char *token, TimestampTz valid_until,
								AlfTokenReleaseFn release, void *release_arg);

/*
 * Drop the key's entry if any (e.g. the vendor rejected the token).  With
 * call_release false the release hook is skipped (the session is known to
 * be gone already).
 */
extern void alf_token_cache_forget(Oid serverid, Oid userid, const char *endpoint,
								   const char *kind,
								   bool call_release);

#endif							/* ALF_TOKEN_CACHE_H */
