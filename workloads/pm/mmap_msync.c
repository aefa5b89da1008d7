/* torn-pm-mmap-msync: writes through a plain shared mapping, each acknowledged after msync. */
#include "mmsync.h"

int main(int argc, char **argv)
{
	return mms_main(argc, argv, 1);
}
