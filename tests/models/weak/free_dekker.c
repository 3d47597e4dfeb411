/*
 * @title  two threads that each free the object unless the other went first (store buffering)
 * @description Each thread raises its own flag, then frees the object if the other's flag is
 *   still down (Dekker's handshake). Under sc at most one of them sees the other's flag down.
 *   x86-TSO lets each load pass its own earlier store (store buffering): both see the other's
 *   flag down and both free, a double free; so does LKMM. With smp_mb() between the store and
 *   the load (FENCE=1) every model forbids it.
 * @config FENCE=1
 * @memory-models sc
 * @thread first
 * @thread second
 * @expect sc * holds
 * @expect sc FENCE=1 * holds
 */
#define FENCE 0
struct obj { int val; };
struct obj *shared;
int up0;
int up1;

void first(void)
{
	struct obj *p = kzalloc(sizeof(struct obj), GFP_KERNEL);
	WRITE_ONCE(shared, p);
	WRITE_ONCE(up0, 1);
#if FENCE
	smp_mb();
#endif
	if (!READ_ONCE(up1))
		kfree(p);
}

void second(void)
{
	struct obj *q;

	WRITE_ONCE(up1, 1);
#if FENCE
	smp_mb();
#endif
	if (!READ_ONCE(up0)) {
		q = READ_ONCE(shared);
		kfree(q);
	}
}
