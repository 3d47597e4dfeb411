/*
 * @title  a walk over every slot with <= instead of <: out of bounds
 * @description FIX=1: the same walk with <, in bounds.
 * @config FIX=1
 * @memory-models sc
 * @thread walker
 * @expect sc no-out-of-bounds violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define NR_SLOTS 2
#define FIX 0
struct slot { int npages; };
struct slots { struct slot s[NR_SLOTS]; int used; };
struct slots arr = { .used = NR_SLOTS };

void walker(void)
{
	struct slots *p = &arr;
	int i, total = 0;
#if FIX
	for (i = 0; i < NR_SLOTS; i++)
#else
	for (i = 0; i <= NR_SLOTS; i++)
#endif
		total += p->s[i].npages;
	WRITE_ONCE(arr.used, total);
}
