"""buyer"""
