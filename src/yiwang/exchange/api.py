from ninja import Router

router = Router(tags=["数据共享交换"])
