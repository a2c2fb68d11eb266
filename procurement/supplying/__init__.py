"""supplying"""
