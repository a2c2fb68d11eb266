"""cart"""
