// coffer-load entry point; everything else lives in load.cc so that it can be
// compiled with the Boost.Asio SSL headers (see ASIO_SSL in CofferHelpers.cmake).

#include "load.h"

int main(int argc, char** argv) { return coffer::perf::RunLoad(argc, argv); }
