package io.kissmon.ffi;



/**
 * Why a call was refused. Argument names are the JVM API's (camelCase).
 */
public class NativeException extends java.lang.Exception {
    private NativeException(java.lang.String message) {
      super(message);
    }

    

    
    /**
     * An argument broke a protocol rule, or the JVM value does not fit the
     * core's type (a negative count, a pid past 32 bits).
     */
    public static class InvalidArgument extends NativeException {
      
      java.lang.String argument;
      
      java.lang.String reason;
      public InvalidArgument(java.lang.String argument, java.lang.String reason) {
        super(new StringBuilder()
        .append("argument=")
        .append(argument)
        
        .append(", ")
        
        
        .append("reason=")
        .append(reason)
        
        
        .toString());
        this.argument = argument;
        this.reason = reason;
        }

      public java.lang.String argument() {
        return this.argument;
      }
      public java.lang.String reason() {
        return this.reason;
      }
      
      
      
    }
    
    /**
     * A line the decoder rejected: its class (`invalid_field`, ...) and the
     * top-level field at fault, if the class names one.
     */
    public static class Decode extends NativeException {
      
      java.lang.String errorClass;
      
      java.lang.String field;
      
      java.lang.String detail;
      public Decode(java.lang.String errorClass, java.lang.String field, java.lang.String detail) {
        super(new StringBuilder()
        .append("errorClass=")
        .append(errorClass)
        
        .append(", ")
        
        
        .append("field=")
        .append(field)
        
        .append(", ")
        
        
        .append("detail=")
        .append(detail)
        
        
        .toString());
        this.errorClass = errorClass;
        this.field = field;
        this.detail = detail;
        }

      public java.lang.String errorClass() {
        return this.errorClass;
      }
      public java.lang.String field() {
        return this.field;
      }
      public java.lang.String detail() {
        return this.detail;
      }
      
      
      
    }
    
    /**
     * The client's sender thread could not be started.
     */
    public static class Spawn extends NativeException {
      
      java.lang.String detail;
      public Spawn(java.lang.String detail) {
        super(new StringBuilder()
        .append("detail=")
        .append(detail)
        
        
        .toString());
        this.detail = detail;
        }

      public java.lang.String detail() {
        return this.detail;
      }
      
      
      
    }
     
}

