/*
 * @title  two threads that each take a lock for good unless the other raised its flag first
 * @description Each thread raises its own flag, then, if the other's flag is still down, takes
 *   the lock and keeps it (Dekker's handshake deciding who owns the lock). Under sc at most one
 *   of them sees the other's flag down. x86-TSO lets each load pass its own earlier store (store
 *   buffering): both see the other's flag down, one takes the lock and the other waits for it
 *   forever, a deadlock; so does LKMM. With smp_mb() between the store and the load (FENCE=1)
 *   every model forbids it.
 * @config FENCE=1
 * @memory-models sc
 * @thread first
 * @thread second
 * @expect sc no-lock-leak violated
 * @expect sc * holds
 */
#define FENCE 0
struct mutex owner;
int up0;
int up1;

void first(void)
{
	WRITE_ONCE(up0, 1);
#if FENCE
	smp_mb();
#endif
	if (!READ_ONCE(up1))
		mutex_lock(&owner);
}

void second(void)
{
	WRITE_ONCE(up1, 1);
#if FENCE
	smp_mb();
#endif
	if (!READ_ONCE(up0))
		mutex_lock(&owner);
}
