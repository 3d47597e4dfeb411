/*
 * @title  an object handed to another thread to free: its last write and the free
 * @description user fills its object and hands the pointer to freer, which frees what it
 *   gets (kfree of a READ_ONCE: an address dependency). Under sc and x86-TSO (stores reach
 *   memory in order) the fill is done before freer can see the pointer. LKMM orders the plain
 *   fill before the free only if the hand-off is a release (RELEASE=1: smp_store_release);
 *   with WRITE_ONCE the fill and the free race, a use after free (the fill may land after).
 * @config RELEASE=1
 * @memory-models sc
 * @thread user
 * @thread freer
 * @expect sc * holds
 * @expect sc RELEASE=1 * holds
 */
#define RELEASE 0
struct obj { int val; };
struct obj *handed;

void user(void)
{
	struct obj *p = kzalloc(sizeof(struct obj), GFP_KERNEL);
	if (!p)
		return;
	p->val = 1;
#if RELEASE
	smp_store_release(&handed, p);
#else
	WRITE_ONCE(handed, p);
#endif
}

void freer(void)
{
	struct obj *q = READ_ONCE(handed);
	if (q)
		kfree(q);
}
