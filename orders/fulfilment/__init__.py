"""fulfilment"""
