/*
 * @title  unlinking the tail of a published list leaks it
 * @description build publishes head -> a -> b; cut clears a->next. b was reachable only
 *   through a's cell: the scan follows pointers through heap objects, not only roots.
 * @memory-models sc
 * @thread build
 * @thread cut
 * @expect sc no-leak violated
 * @expect sc * holds
 */
#include "leak_list.h"

void cut(void)
{
	struct node *a = smp_load_acquire(&head);
	if (a)
		WRITE_ONCE(a->next, NULL);
}
