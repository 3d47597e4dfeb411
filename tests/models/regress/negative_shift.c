/* @thread main */
int g = -1;
void main(void) { int s = g; int x = 1 << s; g = x; }
