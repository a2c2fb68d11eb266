"""institutions"""
