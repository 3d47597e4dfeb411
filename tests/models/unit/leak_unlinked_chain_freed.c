/*
 * @title  unlinking the tail and freeing it: no leak, the local holds it meanwhile
 * @description As leak_unlinked_chain.c, but cut keeps the tail in a local and frees it
 *   after clearing a->next: between the two steps the local is the tail's only root.
 * @memory-models sc
 * @thread build
 * @thread cut
 * @expect sc * holds
 */
#include "leak_list.h"

void cut(void)
{
	struct node *a = smp_load_acquire(&head);
	struct node *b;

	if (!a)
		return;
	b = READ_ONCE(a->next);
	WRITE_ONCE(a->next, NULL);
	kfree(b);
}
