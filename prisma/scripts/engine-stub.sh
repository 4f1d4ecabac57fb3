#!/bin/sh
# Stands in for Prisma native engines, which cannot be downloaded offline; never run.
exit 1
