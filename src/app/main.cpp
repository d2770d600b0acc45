// insightstream <role>: one binary for every service. See app/app.cpp.
#include "app/app.hpp"

int main(int argc, char** argv) { return insightstream::app::Main(argc, argv); }
