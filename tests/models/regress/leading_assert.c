/* @thread main */
int g;
void main(void) { int x = 1; assert(x == 2); }
