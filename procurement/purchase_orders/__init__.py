"""purchase_orders"""
